-- POST /api/v1/auth/login as a different seeded customer each time (logins.txt), with
-- the seed's password (BENCH_PASSWORD).
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
common.install()

function init(args)
  local password = os.getenv("BENCH_PASSWORD") or "Seed-Password-1"
  local reqs = {}
  for _, email in ipairs(common.mine(common.lines("logins.txt"))) do
    reqs[#reqs + 1] = wrk.format("POST", "/api/v1/auth/login", { ["Content-Type"] = "application/json" },
      '{"email":"' .. email .. '","password":"' .. password .. '"}')
  end
  common.cycle(reqs)
end
