-- wrk: GET of one path with a bearer token (BENCH_TOKEN); counts statuses other than 200. Prints one RESULT line.
local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    ok = 0
    other = 0
    wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
end

response = function(status, headers, body)
    if status == 200 then ok = ok + 1 else other = other + 1 end
end

done = function(summary, latency, requests)
    local ok_total, other_total = 0, 0
    for _, thread in ipairs(threads) do
        ok_total = ok_total + thread:get("ok")
        other_total = other_total + thread:get("other")
    end
    io.write(string.format(
        "RESULT requests=%d duration_us=%d created=%d other_status=%d socket_errors=%d p50_us=%d p99_us=%d\n",
        summary.requests, summary.duration, ok_total, other_total,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
        latency:percentile(50), latency:percentile(99)))
end
