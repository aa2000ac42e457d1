-- POST /api/v1/orders: one item, quantity 1, each request another customer
-- (create.txt: "<token> <product id>", split between the threads), each product one
-- with stock no run can use up: 500 products in turn, or with BENCH_CREATE=create-hot.txt
-- one product for every order (a flash sale). No Idempotency-Key.
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
common.install()

function init(args)
  local reqs = {}
  for _, line in ipairs(common.mine(common.lines(os.getenv("BENCH_CREATE") or "create.txt"))) do
    local f = common.fields(line)
    reqs[#reqs + 1] = wrk.format("POST", "/api/v1/orders",
      { ["Authorization"] = "Bearer " .. f[1], ["Content-Type"] = "application/json" },
      '{"items":[{"productId":"' .. f[2] .. '","quantity":1}]}')
  end
  common.cycle(reqs)
end
