-- SPDX-License-Identifier: MIT
-- Deterministic input generator for tests/programs/run.sh (run natively).
--   lua gen.lua text LINES   > FILE   English-like text
--   lua gen.lua mixed BYTES  > FILE   text and pseudo-random binary, mixed
-- The generator is a 31-bit linear congruential one with a fixed seed, so
-- the output depends on nothing but the arguments.

local mode, n = arg[1], tonumber(arg[2])
assert((mode == "text" or mode == "mixed") and n, "usage: gen.lua text|mixed N")

local state = 12345
local function rnd(m)             -- 0 .. m-1
  state = (state * 1103515245 + 12345) % 2147483648
  return (state >> 8) % m
end

local words = {
  "the", "of", "and", "a", "to", "in", "is", "you", "that", "it", "he",
  "was", "for", "on", "are", "as", "with", "his", "they", "at", "be",
  "this", "have", "from", "or", "one", "had", "by", "word", "but", "not",
  "what", "all", "were", "we", "when", "your", "can", "said", "there",
  "kernel", "guest", "page", "frame", "table", "exokernel", "library",
  "operating", "system", "resource", "revocation", "hypervisor", "trap",
  "interrupt", "virtual", "memory", "address", "space", "ring", "zero",
  "compression", "entropy", "block", "sorting", "transform", "huffman",
}

local function line()
  local t, len = {}, 4 + rnd(14)
  for i = 1, len do
    local w = words[1 + rnd(#words)]
    if i == 1 then w = w:sub(1, 1):upper() .. w:sub(2) end
    t[i] = w
  end
  local s = table.concat(t, " ")
  local r = rnd(10)
  if r == 0 then s = s .. string.format(" (%d.%02d%%)", rnd(100), rnd(100)) end
  if r == 1 then s = s .. string.format(" #%08x", rnd(2147483647)) end
  return s .. (r < 7 and "." or (r == 7 and "?" or ";"))
end

if mode == "text" then
  local out = {}
  for i = 1, n do out[i] = line() end
  io.write(table.concat(out, "\n"), "\n")
else
  -- Blocks of text, of random bytes, and of runs, until n bytes.
  local parts, size = {}, 0
  while size < n do
    local kind, p = rnd(8)
    if kind < 4 then
      local t = {}
      for i = 1, 50 + rnd(200) do t[i] = line() end
      p = table.concat(t, "\n") .. "\n"
    elseif kind < 7 then
      local t = {}
      for i = 1, 1024 + rnd(16384) do t[i] = rnd(256) end
      local bytes = {}
      for i = 1, #t, 4096 do
        bytes[#bytes + 1] = string.char(table.unpack(t, i, math.min(i + 4095, #t)))
      end
      p = table.concat(bytes)
    else
      p = string.rep(string.char(rnd(256)), 100 + rnd(5000))
    end
    parts[#parts + 1] = p
    size = size + #p
  end
  io.write(table.concat(parts):sub(1, n))
end
