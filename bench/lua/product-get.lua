-- GET /api/v1/products/{id}, a random product of product_ids.txt each time.
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
common.install()

function init(args)
  local reqs = {}
  for _, pid in ipairs(common.shuffle(common.lines("product_ids.txt"))) do
    reqs[#reqs + 1] = wrk.format("GET", "/api/v1/products/" .. pid)
  end
  common.cycle(reqs)
end
