-- GET /api/v1/products?page=1&q=<word>: page 1 of a search for a random word of the
-- seed's product names (words.txt).
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
common.install()

function init(args)
  local words = common.lines("words.txt")
  local reqs = {}
  for i = 1, 20 do -- every word twenty times, in a different order in each thread
    for _, w in ipairs(words) do reqs[#reqs + 1] = w end
  end
  for i, w in ipairs(common.shuffle(reqs)) do
    reqs[i] = wrk.format("GET", "/api/v1/products?page=1&q=" .. w)
  end
  common.cycle(reqs)
end
