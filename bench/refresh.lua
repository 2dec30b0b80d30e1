-- wrk script: one connection refreshing in sequence, each time with the newest refresh
-- token (the one the previous answer returned), as a client that keeps its session does.
-- The first token and the path come from the environment (measure.refresh_rate).
local token = os.getenv("BENCH_REFRESH_TOKEN")
local path = os.getenv("BENCH_REFRESH_PATH")
local refused = 0

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
  io.write(string.format("refused: %d\n", refused))
end
