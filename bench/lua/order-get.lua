-- GET /api/v1/orders/{id} by the order's owner (orders.txt: "<order id> <token>").
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
common.install()

function init(args)
  local reqs = {}
  for _, line in ipairs(common.shuffle(common.lines("orders.txt"))) do
    local f = common.fields(line)
    reqs[#reqs + 1] = wrk.format("GET", "/api/v1/orders/" .. f[1], { ["Authorization"] = "Bearer " .. f[2] })
  end
  common.cycle(reqs)
end
