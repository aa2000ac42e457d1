-- POST /api/v1/orders for a flash sale: one item, quantity 1, each request another
-- customer (the tokens of create.txt, split between the threads), every order naming
-- the same product, so that all of them queue for that product's row lock.
--
-- BENCH_HOT_PRODUCTS=N spreads the orders over the first N products of create.txt
-- instead (default 1, the flash sale); BENCH_HOT_PRODUCTS=500 is the spread case the
-- flash sale is compared with, in the same script. The products of create.txt have
-- stock no run can use up.
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
common.install()

function init(args)
  local n = tonumber(os.getenv("BENCH_HOT_PRODUCTS") or "1")
  local all = common.lines("create.txt")
  local products = {}
  for i = 1, math.min(n, #all) do
    products[i] = common.fields(all[i])[2]
  end
  local reqs = {}
  for i, line in ipairs(common.mine(all)) do
    local f = common.fields(line)
    reqs[#reqs + 1] = wrk.format("POST", "/api/v1/orders",
      { ["Authorization"] = "Bearer " .. f[1], ["Content-Type"] = "application/json" },
      '{"items":[{"productId":"' .. products[(i - 1) % #products + 1] .. '","quantity":1}]}')
  end
  common.cycle(reqs)
end
