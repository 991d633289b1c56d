-- Requests from a targets file (BENCH_TARGETS): one "METHOD<TAB>PATH<TAB>TOKEN<TAB>BODY" a line.
-- Each thread walks the file from its own offset, so concurrent requests touch different attempts.
local targets, counter, offset = {}, 0, 0
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function init(args)
  for line in io.lines(os.getenv("BENCH_TARGETS")) do
    local method, path, token, body = line:match("^(%S+)\t(%S+)\t(%S+)\t?(.*)$")
    if method then
      local headers = { ["Authorization"] = "JWT " .. token, ["Content-Type"] = "application/json" }
      if body == "" then body = nil end
      targets[#targets + 1] = wrk.format(method, path, headers, body)
    end
  end
  offset = tid * math.floor(#targets / tonumber(os.getenv("BENCH_THREADS") or "1"))
end

function request()
  counter = counter + 1
  return targets[(offset + counter - 1) % #targets + 1]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": %d, "status_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout, e.status))
end
