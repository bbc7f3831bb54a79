-- wrk script: rotate through the queries in QUERIES_FILE (one URL-encoded query a line) and
-- print p50/p95/p99 latency, throughput and every kind of error as one JSON line.
local queries = {}
local counter = 0

local id = 0

function setup(thread)
  id = id + 1
  thread:set("id", id)
end

function init(args)
  for line in io.lines(os.getenv("QUERIES_FILE")) do
    queries[#queries + 1] = line
  end
end

function request()
  counter = counter + 1
  local q = queries[(counter % #queries) + 1]
  if os.getenv("UNIQUE") == "1" then
    -- a suffix no query repeats: every request pays the query encoding (no cache hit)
    q = q .. "%20" .. tostring(id) .. "x" .. tostring(counter)
  end
  return wrk.format("GET", "/api/search?limit=10&q=" .. q)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, e.connect, e.read, e.write, e.status, e.timeout))
end
