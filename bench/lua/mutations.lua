-- The mutation mix: per cart, add product 101 -> set its quantity to 2 -> remove it, in a loop.
-- Every prepared cart already holds one line of product 104 that is never touched; its line id
-- (field 2 of the row) tells which cart an answer belongs to, since wrk does not say which
-- request a response() answers. A cart is never sent a second request before the first is
-- answered (carts in flight are skipped), so each step knows the line id of product 101.
--   BENCH_MODE=bff       POST /api/cart/items, PATCH|DELETE /api/cart/items/{id}  (cookie = field 1)
--   BENCH_MODE=upstream  POST /v3/carts/{cart}/items, PUT|DELETE .../items/{id} (cart = field 1)
-- Counters: skipped (carts in flight passed over), unmatched (answers without a known cart,
-- e.g. errors: that cart then stays out of rotation), fallback_adds (no line id known).
BENCH_COUNTERS = {"skipped", "unmatched", "fallback_adds"}
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local mode, rows, by_base, step, line, busy, i
-- Globals, so that done() can read them with thread:get().
skipped, unmatched, fallback_adds = 0, 0, 0
local add_body = '{"line_items":[{"product_id":101,"quantity":1}]}'

function init(args)
  mode = os.getenv("BENCH_MODE")
  rows = my_rows(load_rows(os.getenv("BENCH_ROWS")))
  by_base, step, line, busy = {}, {}, {}, {}
  for index, row in ipairs(rows) do
    by_base[row[2]] = index
    step[index] = 0
  end
  i = 0
end

local function headers(row)
  if mode == "bff" then
    return {Cookie = "bff_session=" .. row[1], ["Content-Type"] = "application/json"}
  end
  return {["X-Auth-Token"] = "sandbox-token", ["Content-Type"] = "application/json"}
end

function request()
  for _ = 1, #rows do
    i = i % #rows + 1
    if not busy[i] then break end
    skipped = skipped + 1
  end
  busy[i] = true
  local row, s = rows[i], step[i]
  if s ~= 0 and line[i] == nil then
    fallback_adds = fallback_adds + 1
    s = 0
    step[i] = 0
  end
  local items = (mode == "bff") and "/api/cart/items" or ("/stores/sandbox/v3/carts/" .. row[1] .. "/items")
  if s == 0 then
    return wrk.format("POST", items, headers(row), add_body)
  elseif s == 1 then
    if mode == "bff" then
      return wrk.format("PATCH", items .. "/" .. line[i], headers(row), '{"quantity":2}')
    end
    return wrk.format("PUT", items .. "/" .. line[i], headers(row),
      '{"line_item":{"product_id":101,"quantity":2}}')
  else
    return wrk.format("DELETE", items .. "/" .. line[i], headers(row))
  end
end

function response(status, hdrs, body)
  local index, l101
  for obj in body:gmatch("{[^{}]*}") do
    local pid = obj:match('"product_id":%s*(%d+)')
    if pid then
      local id = obj:match('"id":%s*"?([%w%-]+)')
      if pid == "104" then index = by_base[id] elseif pid == "101" then l101 = id end
    end
  end
  if index == nil or status >= 300 then
    unmatched = unmatched + 1
    if index == nil then return end
  end
  busy[index] = nil
  line[index] = l101
  step[index] = (step[index] + 1) % 3
end
