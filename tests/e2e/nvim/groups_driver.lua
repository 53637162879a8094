-- Drives editors/nvim/dapcore-groups.lua (the README's nvim-dap snippet for
-- goroutine groups) in headless Neovim with the real nvim-dap and dapcore:
-- dap.run → the stop → require('dapcore-groups').pick{filter = …} with
-- vim.ui.select stubbed to choose the group input.group, then its "… N more"
-- entry when input.more, then goroutine input.goroutine → wait until nvim-dap's
-- current frame is the one the request named → what the user sees, as JSON.
--
--   nvim --headless --clean -u NONE -i NONE -n -l groups_driver.lua INPUT.json
--
-- INPUT.json: {dap_dir, python, program, core, out, timeout_ms, snippet_dir,
--   filter (FILTER words), group (id), more (bool), goroutine (id)}

local input = vim.json.decode(table.concat(vim.fn.readfile(assert(arg[1])), '\n'))
local timeout = input.timeout_ms or 30000
local out = { errors = {}, notifications = {}, selects = {} }

local function fail(msg)
  table.insert(out.errors, msg)
end

vim.notify = function(msg, level)
  table.insert(out.notifications, { msg = tostring(msg), level = level or vim.log.levels.INFO })
end

local function wait_for(what, cond)
  local ok = vim.wait(timeout, cond, 10)
  if not ok then
    fail('timed out waiting for ' .. what)
  end
  return ok
end

local function run()
  vim.opt.rtp:prepend(input.dap_dir)
  vim.cmd.source(vim.fn.fnameescape(input.dap_dir .. '/plugin/dap.lua'))
  package.path = input.snippet_dir .. '/?.lua;' .. package.path
  local dap = require('dap')
  dap.adapters.gocore = { type = 'executable', command = input.python, args = { '-m', 'dapcore' } }
  local stopped = 0
  dap.listeners.after.event_stopped['groups-e2e'] = function()
    stopped = stopped + 1
  end
  dap.run({ type = 'gocore', request = 'launch', name = 'groups e2e', program = input.program,
            coreFilePath = input.core, maxThreads = 50 })
  if not wait_for('the stop', function()
    local s = dap.session()
    return stopped >= 1 and s ~= nil and s.current_frame ~= nil
  end) then
    return
  end
  local session = dap.session()
  out.first_thread = session.stopped_thread_id

  -- the picker, answered programmatically: the group, "… more", the goroutine
  local chosen = nil
  vim.ui.select = function(items, opts, on_choice)
    local shown = {}
    for _, item in ipairs(items) do
      table.insert(shown, opts.format_item(item))
    end
    table.insert(out.selects, { prompt = opts.prompt, items = shown })
    for _, item in ipairs(items) do
      if item.headline ~= nil and item.id == input.group then -- a group
        out.group = item
        return on_choice(item)
      end
      if item.more ~= nil and input.more and not out.more_taken then
        out.more_taken = shown[#shown]
        return on_choice(item)
      end
      if item.threadId ~= nil and item.id == input.goroutine then
        chosen = item
        return on_choice(item)
      end
    end
    fail('nothing to choose in the picker "' .. opts.prompt .. '"')
    on_choice(nil)
  end

  local groups = require('dapcore-groups')
  groups.setup()
  vim.cmd('DapcoreGroups ' .. (input.filter or ''))
  if not wait_for('the goroutine chosen and nvim-dap on its frame', function()
    return chosen ~= nil and session.current_frame ~= nil and session.current_frame.id == chosen.frameId
  end) then
    out.current_frame_id = session.current_frame and session.current_frame.id
    return
  end
  vim.wait(300, function() return false end, 10) -- the jump is scheduled after the frame is set
  out.chosen = chosen
  local frame = session.current_frame
  out.current_frame = { id = frame.id, name = frame.name, line = frame.line,
                        path = frame.source and frame.source.path or nil }
  out.stopped_thread_id = session.stopped_thread_id
  local buf = vim.api.nvim_get_current_buf()
  out.buffer = vim.api.nvim_buf_get_name(buf)
  out.cursor_line = vim.api.nvim_win_get_cursor(0)[1]
  -- dap.up() moves within the chosen goroutine
  dap.up()
  vim.wait(300, function() return false end, 10)
  local up = session.current_frame
  out.after_up = { id = up.id, name = up.name, line = up.line }
  local ids = {}
  for _, f in ipairs(session.threads[chosen.threadId].frames) do
    table.insert(ids, f.id)
  end
  out.thread_frame_ids = ids
  -- the leak summary command
  local before = #out.notifications
  vim.cmd('DapcoreLeaks')
  wait_for('the leak summary', function() return #out.notifications > before end)
  out.leaks = out.notifications[#out.notifications]
  dap.terminate()
  vim.wait(5000, function() return session.closed == true end, 10)
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  fail('driver error: ' .. tostring(err))
end
vim.fn.writefile({ vim.json.encode(out) }, input.out)
vim.cmd('qall!')
