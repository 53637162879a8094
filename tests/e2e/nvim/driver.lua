-- Drives one real nvim-dap session against dapcore inside headless Neovim and
-- writes what the user would see (and what the adapter really sent) as JSON.
--
--   nvim --headless --clean -u NONE -i NONE -n -l driver.lua INPUT.json
--
-- INPUT.json: {
--   "dap_dir": nvim-dap's unpacked directory (put on the runtimepath),
--   "python": the interpreter that runs dapcore,
--   "mode": "executable" | "server",
--   "program", "core": the fixture's files,
--   "out": where the results go,
--   "timeout_ms": the limit of each wait,
--   "expect_failure": true for a launch dapcore must refuse (optional),
--   "exprs": expressions to evaluate after the stop (optional): {
--     "frame": the function to move to first, with dap.up() as a user does,
--     "repl": typed into nvim-dap's REPL (require('dap.repl').execute),
--     "hover": shown with require('dap.ui.widgets').hover
--   }
-- }
--
-- The script never raises out of its main body: every failure becomes an
-- entry of "errors" in the output, which the pytest side reports.

local uv = vim.uv or vim.loop

local input_path = assert(arg[1], 'usage: nvim -l driver.lua INPUT.json')
local input = vim.json.decode(table.concat(vim.fn.readfile(input_path), '\n'))
local timeout = input.timeout_ms or 20000

local started = uv.hrtime()
local function now_ms()
  return (uv.hrtime() - started) / 1e6
end

local out = {
  mode = input.mode,
  errors = {},
  notifications = {},
  events = {},
  responses = {},
  steps = {},
  processes = {},
}

local function step(name)
  table.insert(out.steps, { name = name, t = now_ms() })
end

local function fail(msg)
  table.insert(out.errors, msg)
end

local function write_out()
  local ok, encoded = pcall(vim.json.encode, out)
  if not ok then
    encoded = vim.json.encode({ errors = { 'cannot encode results: ' .. tostring(encoded) } })
  end
  vim.fn.writefile({ encoded }, input.out)
end

-- Everything nvim-dap tells the user goes through vim.notify.
vim.notify = function(msg, level, opts)
  table.insert(out.notifications, {
    msg = tostring(msg),
    level = level or vim.log.levels.INFO,
    title = opts and opts.title or nil,
    t = now_ms(),
  })
end

-- The adapter processes nvim-dap starts: their pid, and how and when they end.
local real_spawn = uv.spawn
uv.spawn = function(cmd, opts, on_exit)
  local rec = { command = cmd, args = opts and opts.args or {}, t_start = now_ms() }
  table.insert(out.processes, rec)
  local handle, pid = real_spawn(cmd, opts, function(code, signal)
    rec.exit_code = code
    rec.exit_signal = signal
    rec.t_exit = now_ms()
    if on_exit then
      on_exit(code, signal)
    end
  end)
  if handle then
    rec.pid = pid
  else
    rec.spawn_error = tostring(pid)
  end
  return handle, pid
end

local function wait_for(what, cond, ms)
  local ok = vim.wait(ms or timeout, cond, 10)
  if not ok then
    fail('timed out waiting for ' .. what)
  end
  return ok
end

-- Every adapter process nvim-dap started has exited (nvim-dap's own
-- fallback kills a stdio adapter 5 s after closing its stdin: wait past it).
local function wait_for_adapters_exit()
  wait_for('the adapter process to exit', function()
    for _, p in ipairs(out.processes) do
      if p.pid and p.t_exit == nil then
        return false
      end
    end
    return true
  end, 8000)
end

-- A plain copy of a DAP value (no functions, no cycles, no userdata).
local function plain(v, depth)
  depth = depth or 0
  if type(v) ~= 'table' then
    if type(v) == 'function' or type(v) == 'userdata' or type(v) == 'thread' then
      return nil
    end
    return v
  end
  if v == vim.NIL then
    return v
  end
  if depth > 6 then
    return '<deep>'
  end
  local copy = {}
  for k, val in pairs(v) do
    if k ~= 'parent' and k ~= 'scopes' and k ~= 'variables' then
      copy[k] = plain(val, depth + 1)
    end
  end
  return copy
end

-- A copy of a message as the adapter sent it (taken before nvim-dap adds
-- its own fields and back-references to the decoded tables).
local function raw(v)
  if v == nil then
    return nil
  end
  local ok, copy = pcall(function() return vim.json.decode(vim.json.encode(v)) end)
  if ok then
    return copy
  end
  return plain(v)
end

-- The lines of a buffer, or nil when it is gone.
local function buf_lines(buf)
  if not buf or not vim.api.nvim_buf_is_valid(buf) then
    return nil
  end
  return vim.api.nvim_buf_get_lines(buf, 0, -1, false)
end

-- nvim-dap's REPL buffer ('[dap-repl-N]', a prompt buffer).
local function repl_buffer()
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_get_name(b):match('%[dap%-repl%-%d+%]$') then
      return b
    end
  end
  return nil
end

-- Focus a window showing a source file (not the REPL, not a float), as a
-- user's cursor is before hovering.
local function focus_source_window()
  for _, w in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    local b = vim.api.nvim_win_get_buf(w)
    if vim.api.nvim_win_get_config(w).relative == '' and vim.bo[b].buftype == '' then
      vim.api.nvim_set_current_win(w)
      return w
    end
  end
  return nil
end

-- What a user does after the stop: move up to the frame wanted (dap.up(),
-- nvim-dap's own frame switching), type expressions into nvim-dap's REPL
-- and hover others with nvim-dap's widget; what nvim-dap sent and received
-- is in out.responses (command "evaluate"), what it showed in out.exprs.
local function evaluate_exprs(dap, session, view_settled, count)
  local spec = input.exprs
  local res = { start_frame = session.current_frame and session.current_frame.name, up = {},
                repl = {}, hover = {} }
  out.exprs = res
  for _ = 1, 10 do
    if not session.current_frame or session.current_frame.name == spec.frame then
      break
    end
    dap.up()
    local frame = session.current_frame
    table.insert(res.up, { name = frame and frame.name, id = frame and frame.id,
                           line = frame and frame.line })
    wait_for('the scopes of the frame dap.up() moved to', function() return view_settled(session) end)
  end
  res.frame = plain(session.current_frame)
  -- nvim-dap jumps to the frame's line: where the cursor is now
  vim.wait(200, function() return false end, 10)
  res.buffer = vim.api.nvim_buf_get_name(0)
  res.cursor_line = vim.api.nvim_win_get_cursor(0)[1]
  step('frame-chosen')

  local repl = require('dap.repl')
  repl.open()
  for _, text in ipairs(spec.repl or {}) do
    local before = count(out.responses, 'evaluate')
    local buf = repl_buffer()
    local first = buf and (#buf_lines(buf) - 1) or 0 -- the prompt line is the last one
    repl.execute(text)
    buf = buf or repl_buffer()
    local answered = wait_for('the evaluate response to ' .. text, function()
      return count(out.responses, 'evaluate') > before
    end)
    -- the REPL appends the answer (a value with children after fetching them)
    if answered then
      wait_for('the REPL to show the answer to ' .. text, function()
        local lines = buf_lines(buf) or {}
        return #lines - 1 > first + 1
      end, 5000)
      vim.wait(100, function() return false end, 10)
    end
    local lines = buf_lines(buf) or {}
    table.insert(res.repl, { expr = text, lines = vim.list_slice(lines, first + 1, #lines - 1) })
  end
  res.repl_buffer = buf_lines(repl_buffer())
  step('repl')

  local widgets = require('dap.ui.widgets')
  for _, text in ipairs(spec.hover or {}) do
    focus_source_window()
    local before = count(out.responses, 'evaluate')
    local ok, view = pcall(widgets.hover, function() return text end)
    if not ok then
      fail('widgets.hover(' .. text .. '): ' .. tostring(view))
    else
      wait_for('the evaluate response to the hover of ' .. text, function()
        return count(out.responses, 'evaluate') > before
      end)
      wait_for('the hover window to show ' .. text, function()
        local lines = buf_lines(view.buf) or {}
        return #lines > 1 or (lines[1] or '') ~= ''
      end, 5000)
      vim.wait(100, function() return false end, 10)
      table.insert(res.hover, { expr = text, lines = buf_lines(view.buf),
                                float = view.win and vim.api.nvim_win_is_valid(view.win)
                                  and vim.api.nvim_win_get_config(view.win).relative ~= '' })
      pcall(view.close)
    end
  end
  focus_source_window()
  step('hover')
end

local function run()
  vim.opt.rtp:prepend(input.dap_dir)
  -- What a plugin manager does at startup: nvim-dap's plugin file defines
  -- its commands and the dap-src:// reader (sources by sourceReference).
  vim.cmd.source(vim.fn.fnameescape(input.dap_dir .. '/plugin/dap.lua'))
  local dap = require('dap')
  dap.set_log_level('TRACE')
  out.dap_log = vim.fn.stdpath('log') .. '/dap.log'

  -- The adapter definitions of the README, with this interpreter.
  if input.mode == 'server' then
    dap.adapters.gocore = {
      type = 'server',
      port = '${port}',
      executable = {
        command = input.python,
        args = { '-m', 'dapcore', 'dap', '--listen', '127.0.0.1:${port}' },
      },
    }
  else
    dap.adapters.gocore = { type = 'executable', command = input.python, args = { '-m', 'dapcore' } }
  end

  -- What the adapter really sent, recorded before nvim-dap acts on it.
  local commands = {
    'initialize', 'launch', 'configurationDone', 'threads', 'stackTrace', 'scopes',
    'variables', 'exceptionInfo', 'continue', 'disconnect', 'terminate', 'source', 'evaluate',
  }
  for _, command in ipairs(commands) do
    dap.listeners.before[command]['dapcore-e2e'] = function(_, err, response, request)
      table.insert(out.responses, {
        command = command,
        t = now_ms(),
        request = raw(request),
        error = err and (err.message or tostring(err)) or nil,
        -- what nvim-dap shows of an error (body.error.format when showUser)
        shown_error = err and tostring(err) or nil,
        body = raw(response),
      })
    end
  end
  local events = { 'initialized', 'stopped', 'output', 'terminated', 'exited', 'thread', 'continued' }
  local stopped_handled = 0
  for _, event in ipairs(events) do
    dap.listeners.before['event_' .. event]['dapcore-e2e'] = function(_, body)
      table.insert(out.events, { event = event, t = now_ms(), body = raw(body) })
    end
  end
  dap.listeners.after.event_stopped['dapcore-e2e'] = function()
    stopped_handled = stopped_handled + 1
  end

  local function count(list, command)
    local n = 0
    for _, r in ipairs(list) do
      if r.command == command or r.event == command then
        n = n + 1
      end
    end
    return n
  end

  -- nvim-dap's stopped handling is done once the focused frame's
  -- non-expensive scopes have their variables (it jumps before that).
  local function view_settled(session)
    local frame = session and session.current_frame
    if not frame or not frame.scopes then
      return false
    end
    for _, scope in ipairs(frame.scopes) do
      if not scope.expensive and scope.variables == nil then
        return false
      end
    end
    return true
  end

  local function snapshot_view(session)
    local view = {}
    local buf = vim.api.nvim_get_current_buf()
    view.buffer = vim.api.nvim_buf_get_name(buf)
    view.cursor_line = vim.api.nvim_win_get_cursor(0)[1]
    view.buffer_line_count = vim.api.nvim_buf_line_count(buf)
    view.buffer_text_at_cursor = vim.api.nvim_buf_get_lines(buf, view.cursor_line - 1, view.cursor_line, false)[1]
    view.stopped_thread_id = session.stopped_thread_id
    local nthreads = 0
    local names = {}
    for id, thread in pairs(session.threads) do
      nthreads = nthreads + 1
      table.insert(names, { id = id, name = thread.name })
    end
    table.sort(names, function(a, b) return a.id < b.id end)
    view.thread_count = nthreads
    view.threads = names
    local frame = session.current_frame
    view.current_frame = plain(frame)
    local thread = session.stopped_thread_id and session.threads[session.stopped_thread_id]
    if thread and thread.frames then
      view.frames = {}
      for _, f in ipairs(thread.frames) do
        table.insert(view.frames, {
          id = f.id,
          name = f.name,
          line = f.line,
          path = f.source and f.source.path or nil,
          sourceReference = f.source and f.source.sourceReference or nil,
          presentationHint = f.presentationHint,
        })
      end
    end
    view.scopes = {}
    for _, scope in ipairs(frame and frame.scopes or {}) do
      local s = { name = scope.name, expensive = scope.expensive or false,
                  variablesReference = scope.variablesReference }
      if scope.variables then
        s.variables = {}
        for _, v in ipairs(scope.variables) do
          table.insert(s.variables, { name = v.name, value = v.value, type = v.type,
                                      variablesReference = v.variablesReference })
        end
      end
      table.insert(view.scopes, s)
    end
    -- The exception nvim-dap shows as a diagnostic on the stopped line.
    view.diagnostics = {}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      table.insert(view.diagnostics, { lnum = d.lnum + 1, message = d.message, source = d.source })
    end
    -- The sign nvim-dap places on the stopped line.
    view.signs = {}
    local placed = vim.fn.sign_getplaced(buf, { group = session.sign_group })
    for _, p in ipairs(placed[1] and placed[1].signs or {}) do
      table.insert(view.signs, { name = p.name, lnum = p.lnum })
    end
    return view
  end

  step('run')
  dap.run({
    type = 'gocore',
    request = 'launch',
    name = 'dapcore e2e',
    program = input.program,
    coreFilePath = input.core,
  })

  if input.expect_failure then
    -- A launch dapcore refuses: the error is shown once, the session ends
    -- (nvim-dap closes it on the error response; dapcore's 'terminated'
    -- may arrive before or after), the adapter goes away.
    wait_for('the session to end', function() return dap.session() == nil end)
    step('ended')
    out.session_left = dap.session() ~= nil
    wait_for_adapters_exit()
    vim.wait(300, function() return false end, 10)
    return
  end

  if not wait_for('the first stopped event', function() return stopped_handled >= 1 end) then
    return
  end
  step('stopped')
  local session = dap.session()
  if not session then
    fail('no active session after the stopped event')
    return
  end
  out.capabilities = plain(session.capabilities)
  if not wait_for('the stopped view (jump, scopes, variables)', function() return view_settled(session) end) then
    out.first = snapshot_view(session)
    return
  end
  step('settled')
  out.first = snapshot_view(session)

  -- The locals of the focused frame, asked for by the test itself (and the
  -- threads, as the adapter lists them now).
  local done = false
  require('dap.async').run(function()
    local err, resp = session:request('threads', nil)
    out.threads_request = { error = err and tostring(err) or nil,
                            count = resp and #resp.threads or nil }
    local frame = session.current_frame
    local serr, scopes = session:request('scopes', { frameId = frame.id })
    out.own_scopes = { error = serr and tostring(serr) or nil, scopes = {} }
    for _, scope in ipairs(scopes and scopes.scopes or {}) do
      local entry = { name = scope.name, expensive = scope.expensive or false }
      if scope.variablesReference and scope.variablesReference > 0 then
        local verr, vars = session:request('variables', { variablesReference = scope.variablesReference })
        entry.error = verr and tostring(verr) or nil
        entry.variables = {}
        for _, v in ipairs(vars and vars.variables or {}) do
          table.insert(entry.variables, { name = v.name, value = v.value, type = v.type })
        end
      end
      table.insert(out.own_scopes.scopes, entry)
    end
    done = true
  end)
  wait_for('the test\'s own scopes/variables requests', function() return done end)
  step('own-requests')

  if input.exprs and input.exprs ~= vim.NIL then
    evaluate_exprs(dap, session, view_settled, count)
  end

  -- Continue: a core cannot run; the adapter refuses and stops again.
  local stopped_before = stopped_handled
  local continues_before = count(out.responses, 'continue')
  local traces_before = count(out.responses, 'stackTrace')
  dap.continue()
  wait_for('the continue response', function() return count(out.responses, 'continue') > continues_before end)
  local restopped = wait_for('a stopped event after continue', function()
    return stopped_handled > stopped_before
  end, 5000)
  if restopped then
    -- nvim-dap handles the event in a coroutine: the frames it asks for
    -- come after it (until then the frame the user chose is still current)
    wait_for('the stack trace nvim-dap asks for after the stopped event', function()
      return count(out.responses, 'stackTrace') > traces_before
    end, 5000)
    wait_for('the stopped view after continue', function()
      return session.stopped_thread_id ~= nil and view_settled(session)
    end, 5000)
  end
  step('after-continue')
  out.after_continue = snapshot_view(session)

  -- Terminate: nvim-dap sends disconnect {terminateDebuggee: true} and
  -- closes the session; the adapter process must end.
  local t_terminate = now_ms()
  out.terminate_at = t_terminate
  dap.terminate()
  wait_for('the session to close', function() return session.closed == true end, 10000)
  step('closed')
  -- nvim-dap's own fallback kills a stdio adapter with SIGKILL 5 s after
  -- closing its stdin; wait past that to see how it really ended.
  wait_for_adapters_exit()
  step('exited')
  -- nvim-dap reports a bad exit status through a scheduled notification.
  vim.wait(300, function() return false end, 10)
  for _, p in ipairs(out.processes) do
    if p.pid then
      p.proc_gone = vim.fn.isdirectory('/proc/' .. p.pid) == 0
    end
  end
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  fail('driver error: ' .. tostring(err))
end
out.errmsg = vim.v.errmsg
out.total_ms = now_ms()
write_out()
-- The results are written: leave without waiting for anything else.
vim.cmd('qall!')
