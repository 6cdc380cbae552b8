-- wrk script for the benchmark's item 1: every request opens the detail
-- view with a ticket of its own, as Miro's modal does. The tickets were
-- issued beforehand, one request path per line of the file named in the
-- first argument; thread i of n takes lines i, i+n, i+2n, ... A thread
-- that runs out sends its last path again, which the app refuses (401):
-- wrk then reports non-2xx answers and the run does not count.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local file = args[1]
  local count = tonumber(args[2])
  paths = {}
  local line_number = 0
  for line in io.lines(file) do
    if line_number % count == id then
      table.insert(paths, line)
    end
    line_number = line_number + 1
  end
  position = 0
end

function request()
  if position < #paths then
    position = position + 1
  end
  return wrk.format("GET", paths[position])
end
