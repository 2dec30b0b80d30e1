-- wrk script: one connection refreshing in sequence, each time with the newest refresh
-- token (the one the previous answer returned), as a client that keeps its session does.
-- The first token and the path come from the environment (measure.refresh_rate).
local token = os.getenv("BENCH_REFRESH_TOKEN")
local path = os.getenv("BENCH_REFRESH_PATH")
refused = 0 -- global: done() runs in the main interpreter and reads it from each thread
local threads = {}

setup = function(thread)
  threads[#threads + 1] = thread
end

request = function()
  return wrk.format("POST", path, { ["Content-Type"] = "application/json" },
    '{"refresh":"' .. token .. '"}')
end

response = function(status, headers, body)
  local newer = body:match('"refresh"%s*:%s*"([^"]+)"')
  if status == 200 and newer then
    token = newer
  else
    refused = refused + 1
  end
end

done = function(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("refused")
  end
  io.write(string.format("refused: %d\n", total))
end
