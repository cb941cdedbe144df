-- GET the cart, rotating through prepared sessions.
--   BENCH_MODE=bff       GET /api/cart with Cookie: bff_session=<field 1>
--   BENCH_MODE=upstream  GET /stores/sandbox/v3/carts/<field 1> with X-Auth-Token
--                        (straight at the sandbox, or through nginx)
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local requests, i

function init(args)
  local mode = os.getenv("BENCH_MODE")
  requests = {}
  for _, row in ipairs(my_rows(load_rows(os.getenv("BENCH_ROWS")))) do
    if mode == "bff" then
      table.insert(requests, wrk.format("GET", "/api/cart", {Cookie = "bff_session=" .. row[1]}))
    else
      table.insert(requests, wrk.format("GET", "/stores/sandbox/v3/carts/" .. row[1],
        {["X-Auth-Token"] = "sandbox-token"}))
    end
  end
  i = 0
end

function request()
  i = i % #requests + 1
  return requests[i]
end
