-- GET BENCH_PATH (path and query), as the staff account when BENCH_AS=staff: the
-- growth table's list and summary scenarios (bench/run.sh sets both per scenario).
local common = dofile(os.getenv("BENCH_LUA") .. "/common.lua")
common.install()

function init(args)
  local path = assert(os.getenv("BENCH_PATH"), "BENCH_PATH is not set")
  local headers = {}
  if os.getenv("BENCH_AS") == "staff" then
    headers["Authorization"] = "Bearer " .. common.lines("staff.txt")[1]
  end
  common.cycle({ wrk.format("GET", path, headers) })
end
