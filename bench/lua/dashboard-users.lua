-- GET /api/v1/dashboard/users?page=1&limit=20 as a staff account.
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
common.install()

function init(args)
  local token = common.lines("staff.txt")[1]
  common.cycle({ wrk.format("GET", "/api/v1/dashboard/users?page=1&limit=20",
    { ["Authorization"] = "Bearer " .. token }) })
end
