-- wrk script for bench/history.sh: every request asks for a page of 50 before a
-- random seq, so that most answers are not in the page cache (it keeps a few
-- pages per conversation): the figure of history reads that hit the database.
math.randomseed(os.time())
local path = wrk.path
request = function()
  return wrk.format(nil, path .. "&before=" .. math.random(51, 200))
end
