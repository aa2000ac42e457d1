-- Shared by every scenario script (loaded with dofile). It gives each wrk thread an
-- id, counts responses by status in every thread, and at the end prints one line
-- that bench/run.sh parses:
--
--   BENCH requests=… duration_s=… rps=… p50_ms=… p99_ms=… p999_ms=… max_ms=…
--         non2xx=… connect=… read=… write=… timeout=… unanswered=… statuses=200:…,503:…
--
-- requests counts answered requests. wrk counts a timeout only when a late answer
-- arrives, so unanswered (sent, still waiting when the run ended) is printed too: a
-- few per connection is normal, many more than the answers means a queue.
--
-- Fixtures come from BENCH_FIXTURES (the directory bench/prepare wrote); the
-- number of wrk threads from BENCH_THREADS.
local M = {}

M.fixtures = os.getenv("BENCH_FIXTURES") or "."
M.threads = tonumber(os.getenv("BENCH_THREADS") or "2")

-- lines returns the non-empty lines of a fixture file.
function M.lines(name)
  local path = M.fixtures .. "/" .. name
  local f = assert(io.open(path, "r"), "cannot open " .. path)
  local out = {}
  for line in f:lines() do
    if line ~= "" then out[#out + 1] = line end
  end
  f:close()
  assert(#out > 0, path .. " is empty")
  return out
end

-- fields splits a line on spaces.
function M.fields(line)
  local out = {}
  for w in line:gmatch("%S+") do out[#out + 1] = w end
  return out
end

-- shuffle permutes t in place, differently in every thread.
function M.shuffle(t)
  math.randomseed((id or 0) * 7919 + os.time())
  for i = #t, 2, -1 do
    local j = math.random(i)
    t[i], t[j] = t[j], t[i]
  end
  return t
end

-- mine keeps the items of t that belong to this thread (every BENCH_THREADS-th), so
-- that threads never send the same item at the same time.
function M.mine(t)
  local out = {}
  for i = 1, #t do
    if (i - 1) % M.threads == (id or 0) then out[#out + 1] = t[i] end
  end
  if #out == 0 then out = t end
  return out
end

-- cycle installs a request() that sends the prepared requests in turn, forever.
function M.cycle(reqs)
  local n, i = #reqs, 0
  request = function()
    sent = sent + 1
    i = i + 1
    if i > n then i = 1 end
    return reqs[i]
  end
end

-- install defines wrk's setup, response and done hooks.
function M.install()
  local threads, count = {}, 0

  setup = function(thread)
    thread:set("id", count)
    count = count + 1
    threads[#threads + 1] = thread
  end

  statuses, non2xx, sent = {}, 0, 0
  response = function(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
    if status < 200 or status > 299 then non2xx = non2xx + 1 end
  end

  done = function(summary, latency, requests)
    local total, codes, sent_all = 0, {}, 0
    for _, t in ipairs(threads) do
      total = total + (t:get("non2xx") or 0)
      sent_all = sent_all + (t:get("sent") or 0)
      for code, n in pairs(t:get("statuses") or {}) do codes[code] = (codes[code] or 0) + n end
    end
    local keys = {}
    for code in pairs(codes) do keys[#keys + 1] = code end
    table.sort(keys)
    local parts = {}
    for _, code in ipairs(keys) do parts[#parts + 1] = code .. ":" .. codes[code] end
    local secs = summary.duration / 1e6
    local e = summary.errors
    io.write(string.format(
      "BENCH requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f " ..
      "non2xx=%d connect=%d read=%d write=%d timeout=%d unanswered=%d statuses=%s\n",
      summary.requests, secs, summary.requests / secs,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
      latency.max / 1000, total, e.connect, e.read, e.write, e.timeout, math.max(0, sent_all - summary.requests),
      #parts > 0 and table.concat(parts, ",") or "none"))
  end
end

return M
