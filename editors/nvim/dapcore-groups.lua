-- dapcore-groups.lua: dapcore's goroutine groups in nvim-dap.
--
-- Goroutines with the same stack and state, grouped by dapcore (the
-- `dapcore/goroutineGroups` custom request), in a picker (vim.ui.select:
-- telescope, fzf-lua or snacks show it when they replace vim.ui.select);
-- choosing a goroutine switches nvim-dap to that goroutine (thread) and its
-- top user frame: the editor jumps there, the scopes, `dap.up()`/`dap.down()`
-- and the REPL follow.
--
-- Use: put this file in your config (e.g. ~/.config/nvim/lua/dapcore-groups.lua)
-- and
--     local groups = require('dapcore-groups')
--     groups.setup()   -- :DapcoreGroups [FILTER…]  and  :DapcoreLeaks
--     vim.keymap.set('n', '<leader>dg', groups.pick)
-- FILTER words: status=waiting reason="chan receive" function=main.* package=net/http
-- label=job=export label=trace system=false (see dapcore's README).
--
-- nvim-dap has no public call to focus a thread: this does what nvim-dap's
-- own threads widget and `.frames` REPL command do (Session:_frame_set on
-- the chosen frame) after loading the thread's frames and making it the
-- stopped thread, so that dap.up()/dap.down() move within it.

local M = {}

M.per_page = 200 -- goroutines fetched per page of a group

local function notify(msg, level)
  vim.notify('dapcore: ' .. msg, level or vim.log.levels.INFO)
end

local function session_or_warn()
  local session = require('dap').session()
  if not session then
    notify('no debug session', vim.log.levels.WARN)
  end
  return session
end

--- FILTER text → words, quotes honoured: `reason="chan receive"` is one word.
local function words(text)
  local out, cur, quote = {}, {}, nil
  for ch in (text or ''):gmatch('.') do
    if quote then
      if ch == quote then
        quote = nil
      else
        table.insert(cur, ch)
      end
    elseif ch == '"' or ch == "'" then
      quote = ch
    elseif ch:match('%s') then
      if #cur > 0 then
        table.insert(out, table.concat(cur))
        cur = {}
      end
    else
      table.insert(cur, ch)
    end
  end
  if #cur > 0 then
    table.insert(out, table.concat(cur))
  end
  return out
end

--- `status=waiting function=main.*` → the request's filter table (nil, error on a bad word).
function M.parse_filter(text)
  local filter = {}
  for _, word in ipairs(words(text)) do
    local key, value = word:match('^(%a+)=(.*)$')
    key = key and key:lower()
    if key == 'label' then
      local lk, eq, lv = value:match('^([^=]+)(=?)(.*)$')
      if not lk then
        return nil, word .. ': label=KEY or label=KEY=VALUE'
      end
      filter.label = filter.label or {}
      filter.label[lk] = eq == '=' and lv or vim.NIL
    elseif key == 'system' then
      if value ~= 'true' and value ~= 'false' then
        return nil, word .. ': system=true or system=false'
      end
      filter.system = value == 'true'
    elseif key == 'status' or key == 'reason' or key == 'function' or key == 'package' then
      if value == '' then
        return nil, word .. ': empty ' .. key
      end
      filter[key] = value
    else
      return nil, word .. ': expected KEY=VALUE, KEY one of status, reason, function, package, label, system'
    end
  end
  return filter
end

--- One request, from inside a coroutine: (err, body).
local function request(session, command, args)
  return session:request(command, args)
end

local function wait_text(w)
  if type(w) ~= 'table' or (w.most or 0) <= 0 then
    return ''
  end
  if w.least == w.most then
    return string.format(', ≥ %d min', w.least)
  end
  return string.format(', ≥ %d–%d min', w.least, w.most)
end

function M.group_text(g)
  local site = g.createdBy and g.createdBy[1]
  return string.format('%d × [%s%s] %s%s%s', g.count, g.status, wait_text(g.waitMinutes),
    g.headline, site and string.format(' (created at %s:%d)', vim.fn.fnamemodify(site.file, ':t'), site.line) or '',
    g.crashed and ' ⚡ crashed' or '')
end

--- Switch nvim-dap to goroutine `g` (an entry of a group's `goroutines`):
--- its thread, and its top user frame (g.frameId).
function M.focus(session, g, on_done)
  coroutine.wrap(function()
    local err, resp = request(session, 'stackTrace', { threadId = g.threadId })
    if err or not resp then
      notify('stackTrace of goroutine ' .. g.id .. ': ' .. tostring(err), vim.log.levels.ERROR)
      return
    end
    local thread = session.threads[g.threadId]
    if not thread then -- not in a capped thread list (maxThreads)
      thread = { id = g.threadId, name = string.format('[Go %d]', g.id) }
      session.threads[g.threadId] = thread
    end
    thread.stopped = true
    thread.frames = resp.stackFrames
    session.stopped_thread_id = g.threadId
    for _, frame in ipairs(resp.stackFrames) do
      if frame.id == g.frameId then
        session:_frame_set(frame)
        break
      end
    end
    if on_done then
      on_done()
    end
  end)()
end

local function pick_goroutine(session, group, filter)
  local items = vim.list_extend({}, group.goroutines)
  local shown = group.goroutinesStart + #group.goroutines
  if shown < group.count then
    table.insert(items, { more = group.count - shown })
  end
  vim.ui.select(items, {
    prompt = string.format('%s: goroutine', M.group_text(group)),
    format_item = function(item)
      if item.more then
        return string.format('… %d more', item.more)
      end
      return string.format('goroutine %d', item.id)
    end,
  }, function(item)
    if not item then
      return
    end
    if not item.more then
      M.focus(session, item)
      return
    end
    coroutine.wrap(function()
      local err, body = request(session, 'dapcore/goroutineGroups', {
        filter = filter, group = group.id, goroutinesStart = shown, goroutinesPerGroup = M.per_page })
      if err or not body or #body.groups == 0 then
        notify(tostring(err), vim.log.levels.ERROR)
        return
      end
      pick_goroutine(session, body.groups[1], filter)
    end)()
  end)
end

--- The groups in a picker, then the chosen group's goroutines; `opts.filter`:
--- the request's filter table, or FILTER words as a string.
function M.pick(opts)
  opts = opts or {}
  local session = session_or_warn()
  if not session then
    return
  end
  local filter = opts.filter
  if type(filter) == 'string' then
    local parsed, why = M.parse_filter(filter)
    if not parsed then
      notify('bad filter ' .. why, vim.log.levels.ERROR)
      return
    end
    filter = parsed
  end
  if filter and vim.tbl_isempty(filter) then
    filter = nil
  end
  coroutine.wrap(function()
    local err, body = request(session, 'dapcore/goroutineGroups', {
      filter = filter, goroutinesPerGroup = M.per_page })
    if err or not body then
      notify(tostring(err), vim.log.levels.ERROR)
      return
    end
    vim.ui.select(body.groups, {
      prompt = string.format('%d goroutines in %d groups', body.totalGoroutines, body.totalGroups),
      format_item = M.group_text,
    }, function(group)
      if group then
        pick_goroutine(session, group, filter)
      end
    end)
  end)()
end

--- The leak summary (blocked goroutines per creation site), as notifications.
function M.leaks()
  local session = session_or_warn()
  if not session then
    return
  end
  coroutine.wrap(function()
    local err, body = request(session, 'dapcore/goroutineGroups', { count = 1, goroutinesPerGroup = 0 })
    if err or not body then
      notify(tostring(err), vim.log.levels.ERROR)
      return
    end
    local lines = {}
    for _, leak in ipairs(body.leaks) do
      table.insert(lines, leak.summary)
    end
    notify(#lines > 0 and table.concat(lines, '\n') or 'no pile of blocked goroutines')
  end)()
end

function M.setup()
  vim.api.nvim_create_user_command('DapcoreGroups', function(cmd)
    M.pick({ filter = cmd.args })
  end, { nargs = '*', desc = 'dapcore: goroutine groups (FILTER: status=waiting function=main.* …)' })
  vim.api.nvim_create_user_command('DapcoreLeaks', M.leaks, { desc = 'dapcore: leak summary' })
end

return M
