-- Shared by the wrk scripts: reading the prepared rows, and a done() hook that prints one line
--   BENCH_JSON {...}
-- with the summary and the latency percentiles (microseconds) that bench/report.py reads.

BENCH_PERCENTILES = {1, 5, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100}
BENCH_COUNTERS = BENCH_COUNTERS or {}

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_index", #threads)
end

-- Lines of whitespace-separated fields, e.g. "cookie base_line_id".
function load_rows(path)
  local rows = {}
  for line in io.lines(path) do
    local fields = {}
    for field in line:gmatch("%S+") do table.insert(fields, field) end
    if #fields > 0 then table.insert(rows, fields) end
  end
  assert(#rows > 0, "no rows in " .. path)
  return rows
end

-- This thread's share of the rows: thread k of T takes rows k, k+T, k+2T, ...
function my_rows(rows)
  local index, count = thread_index or 1, tonumber(os.getenv("BENCH_THREADS") or "1")
  local mine = {}
  for i = index, #rows, count do table.insert(mine, rows[i]) end
  return mine
end

function done(summary, latency, requests)
  local p = {}
  for _, q in ipairs(BENCH_PERCENTILES) do
    local v = (q == 100) and latency.max or latency:percentile(q)
    table.insert(p, string.format('"%s": %d', tostring(q), v))
  end
  local counters = {}
  for _, name in ipairs(BENCH_COUNTERS) do
    local total = 0
    for _, thread in ipairs(threads) do total = total + (tonumber(thread:get(name)) or 0) end
    table.insert(counters, string.format('"%s": %d', name, total))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"duration_s": %.6f, "requests": %d, "rps": %.3f, "bytes": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"min": %d, "max": %d, "mean": %.3f, "stdev": %.3f, "percentiles": {%s}}, '
      .. '"counters": {%s}}\n',
    summary.duration / 1e6, summary.requests, summary.requests / (summary.duration / 1e6),
    summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.max, latency.mean, latency.stdev, table.concat(p, ", "),
    table.concat(counters, ", ")))
end
