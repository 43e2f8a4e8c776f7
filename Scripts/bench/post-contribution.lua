-- wrk: POST /v1/contributions with a fresh Idempotency-Key per request (keys are unique across threads and runs).
-- Environment: BENCH_TOKEN (a Beijing finance token), BENCH_RUN (a run label). Prints one RESULT line.
local threads = {}
local counter = 0

function setup(thread)
    thread:set("tid", #threads + 1)
    table.insert(threads, thread)
end

function init(args)
    token = os.getenv("BENCH_TOKEN")
    run = os.getenv("BENCH_RUN") or "run"
    created = 0
    other = 0
end

request = function()
    counter = counter + 1
    local key = run .. "-" .. tid .. "-" .. counter
    local body = '{"contributor":"beijing","amount":"100.00","currency":"CNY","valueDate":"2025-06-30",'
        .. '"reference":"wrk-' .. key .. '","memo":"bench"}'
    return wrk.format("POST", "/v1/contributions", {
        ["Content-Type"] = "application/json",
        ["Authorization"] = "Bearer " .. token,
        ["Idempotency-Key"] = key,
    }, body)
end

response = function(status, headers, body)
    if status == 201 then created = created + 1 else other = other + 1 end
end

done = function(summary, latency, requests)
    local created_total, other_total = 0, 0
    for _, thread in ipairs(threads) do
        created_total = created_total + thread:get("created")
        other_total = other_total + thread:get("other")
    end
    io.write(string.format(
        "RESULT requests=%d duration_us=%d created=%d other_status=%d socket_errors=%d p50_us=%d p99_us=%d\n",
        summary.requests, summary.duration, created_total, other_total,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
        latency:percentile(50), latency:percentile(99)))
end
