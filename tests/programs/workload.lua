-- SPDX-License-Identifier: MIT
-- Workload for lua under tests/programs/run.sh: file I/O and floating point.
--   lua workload.lua N INPUT
-- N scales the work; INPUT is a text file (passed by name) that is read and
-- summarised.  Writes table.txt (written, read back, rewritten, renamed),
-- words.txt and results.txt in the current directory; prints a summary to
-- stdout.  Deterministic: no time, no pid, no paths, no environment.

local N = tonumber(arg[1]) or 2000
local INPUT = arg[2] or "input.txt"

local out = assert(io.open("results.txt", "w"))
local function emit(fmt, ...)
  local s = string.format(fmt, ...)
  io.write(s, "\n")
  out:write(s, "\n")
end

emit("workload.lua N=%d input=%s", N, INPUT)

-- 1. Write a table of values, read it back, check and summarise it.
do
  local f = assert(io.open("table.tmp", "w"))
  f:write("# i x sin(x) exp(-x) sqrt(i)\n")
  for i = 1, N do
    local x = i / N * 4.0
    f:write(string.format("%d %.6f %.9f %.9e %.6f\n",
                          i, x, math.sin(x), math.exp(-x), math.sqrt(i)))
  end
  f:close()

  local n, s1, s2, maxs, maxi = 0, 0.0, 0.0, -math.huge, 0
  for line in io.lines("table.tmp") do
    if line:sub(1, 1) ~= "#" then
      local i, x, s, e, r = line:match("^(%d+) (%S+) (%S+) (%S+) (%S+)$")
      assert(i, "bad line: " .. line)
      n = n + 1
      s = tonumber(s); e = tonumber(e)
      s1 = s1 + s; s2 = s2 + e * tonumber(r)
      if s > maxs then maxs, maxi = s, tonumber(i) end
    end
  end
  emit("table: %d rows, sum sin = %.6f, sum exp*sqrt = %.6f", n, s1, s2)
  emit("table: max sin %.9f at row %d", maxs, maxi)

  -- Append to it, seek around in it, then rename it.
  f = assert(io.open("table.tmp", "a+"))
  f:write("# end\n")
  local size = f:seek("end")
  f:seek("set", 0)
  local head = f:read("l")
  f:seek("set", size - 6)
  local tail = f:read("a")
  f:close()
  emit("table: %d bytes, head %q, tail %q", size, head, tail)
  assert(os.rename("table.tmp", "table.txt"))
end

-- 2. Numerical integration (composite Simpson) and a series.
do
  local function simpson(fn, a, b, n)
    local h = (b - a) / n
    local s = fn(a) + fn(b)
    for i = 1, n - 1 do
      s = s + fn(a + i * h) * ((i % 2 == 1) and 4 or 2)
    end
    return s * h / 3
  end
  local n = N * 10
  emit("integral sin 0..pi       = %.12f", simpson(math.sin, 0, math.pi, n))
  emit("integral exp(-x^2) 0..3  = %.12f",
       simpson(function(x) return math.exp(-x * x) end, 0, 3, n))
  emit("integral 4/(1+x^2) 0..1  = %.12f",
       simpson(function(x) return 4 / (1 + x * x) end, 0, 1, n))
  emit("integral log(x) 1..e     = %.12f",
       simpson(math.log, 1, math.exp(1), n))
  local zeta = 0.0
  for k = n * 10, 1, -1 do zeta = zeta + 1.0 / (k * k) end
  emit("sum 1/k^2 (k<=%d) = %.15f, pi^2/6 = %.15f", n * 10, zeta, math.pi ^ 2 / 6)
  emit("%%g %%e %%a: %g %e %a %.17g", 1 / 3, 2 ^ -40, 0.1, 0.1 + 0.2)
  emit("tostring: %s %s %s %s", tostring(1e300 * 1e10), tostring(-0.0),
       tostring(2 ^ 53), tostring(7 // 2.0))
  emit("floor/fmod/atan: %d %.6f %.6f %.6f", math.floor(-3.5),
       math.fmod(7.5, 2), math.atan(1, -1), math.ult(1, -1) and 1 or 0)
end

-- 3. Mandelbrot set, ASCII art, to stdout and results.txt.
do
  local W, H, IT = 64, 24, 60 + N // 40
  local chars = " .:-=+*#%@"
  local total = 0
  for row = 0, H - 1 do
    local ci = -1.2 + 2.4 * row / (H - 1)
    local line = {}
    for col = 0, W - 1 do
      local cr = -2.1 + 3.0 * col / (W - 1)
      local zr, zi, k = 0.0, 0.0, 0
      while k < IT and zr * zr + zi * zi <= 4.0 do
        zr, zi = zr * zr - zi * zi + cr, 2 * zr * zi + ci
        k = k + 1
      end
      total = total + k
      line[#line + 1] = chars:sub(k % #chars + 1, k % #chars + 1)
    end
    emit("|%s|", table.concat(line))
  end
  emit("mandelbrot: %d iterations (max %d)", total, IT)
end

-- 4. Text processing on the input file: word frequencies, line stats.
do
  local counts, lines, chars, words = {}, 0, 0, 0
  local longest = ""
  for line in io.lines(INPUT) do
    lines = lines + 1
    chars = chars + #line + 1
    if #line > #longest then longest = line end
    for w in line:lower():gmatch("%a+") do
      words = words + 1
      counts[w] = (counts[w] or 0) + 1
    end
  end
  local list = {}
  for w, c in pairs(counts) do list[#list + 1] = { w = w, c = c } end
  table.sort(list, function(a, b)
    if a.c ~= b.c then return a.c > b.c end
    return a.w < b.w
  end)
  emit("input: %d lines, %d words, %d chars, %d distinct words", lines, words, chars, #list)
  emit("input: longest line (%d) %q", #longest, longest:sub(1, 40))
  local f = assert(io.open("words.txt", "w"))
  for i, e in ipairs(list) do
    f:write(string.format("%5d %-16s %8.4f%%\n", e.c, e.w, 100 * e.c / words))
    if i <= 5 then emit("input: top %d %-10s %d", i, e.w, e.c) end
  end
  f:close()
  local rf = assert(io.open("words.txt", "rb"))
  local data = rf:read("a")
  rf:close()
  emit("words.txt: %d bytes, %d lines, checksum %d", #data,
       select(2, data:gsub("\n", "")), (function()
         local h = 0
         for i = 1, #data do h = (h * 31 + data:byte(i)) % 2147483647 end
         return h
       end)())
end

-- 5. A scratch file that is created and removed again.
do
  local f = assert(io.open("scratch.tmp", "wb"))
  f:write(string.rep("x", 10000))
  f:close()
  assert(os.remove("scratch.tmp"))
  local ok, err = io.open("scratch.tmp", "r")
  emit("scratch removed: %s", tostring(ok == nil))
  ok, err = io.open("no/such/dir/file", "r")
  emit("open missing: %s", err)
end

out:close()
