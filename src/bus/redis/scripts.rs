//! The Lua scripts: each runs atomically in Redis, so a sequence number,
//! its stream entry and its channel message can never disagree.

/// Increments the room's sequence, appends the entry to the stream, trims
/// the stream to its byte budget (oldest first, never the new entry) and
/// publishes the message with that sequence.
///
/// KEYS: seq, stream, stream byte count, channel. ARGV: header (kind +
/// instance), update ('' for a resync marker), stream byte budget,
/// instance id, key ttl (s), author ('' for none), '1' for a resync
/// marker. Each entry counts its update and author plus 64 bytes.
///
/// The byte count lives in its own key; a stream found without one (they
/// were evicted apart) cannot be measured and starts afresh, which a
/// subscriber sees as trimmed and answers with a resync.
///
/// Cost matters: this runs once per update. The common path is five
/// calls (INCR, INCRBY, XADD, TTL, PUBLISH); the trim runs only past the
/// budget, and the keys' TTLs are renewed only once half of it is gone
/// (or when a key was found missing), not on every update.
pub(super) const PUBLISH: &str = r"
local function size_of(f)
  local n = 64
  for i = 1, #f, 2 do
    if f[i] == 'd' or f[i] == 'u' then n = n + #f[i + 1] end
  end
  return n
end
local seq = redis.call('INCR', KEYS[1])
local id = string.format('%d-0', seq)
local author = ARGV[6]
local marker = ARGV[7] == '1'
local fields = {'i', ARGV[4], 'd', ARGV[2]}
if author ~= '' then
  fields[5] = 'u'
  fields[6] = author
end
if marker then
  fields[#fields + 1] = 'r'
  fields[#fields + 1] = '1'
end
local size = size_of(fields)
local total = redis.call('INCRBY', KEYS[3], size)
local fresh = total == size
if fresh and seq > 1 then
  redis.call('DEL', KEYS[2])
end
local added = redis.pcall('XADD', KEYS[2], id, unpack(fields))
if type(added) == 'table' and added.err then
  redis.call('DEL', KEYS[2])
  redis.call('SET', KEYS[3], size)
  total = size
  fresh = true
  redis.call('XADD', KEYS[2], id, unpack(fields))
end
local max = tonumber(ARGV[3])
if total > max then
  while total > max do
    local page = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 64)
    local keep = nil
    local last = nil
    for _, entry in ipairs(page) do
      if entry[1] == id or total <= max then
        keep = entry[1]
        break
      end
      total = total - size_of(entry[2])
      last = entry[1]
    end
    if last == nil then break end
    if keep == nil then
      keep = string.format('%d-0', tonumber(string.match(last, '^(%d+)')) + 1)
    end
    redis.call('XTRIM', KEYS[2], 'MINID', keep)
  end
  if redis.call('XLEN', KEYS[2]) <= 1 then total = size end
  redis.call('SET', KEYS[3], total)
end
local ttl = tonumber(ARGV[5])
if fresh or redis.call('TTL', KEYS[1]) < ttl / 2 then
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('EXPIRE', KEYS[2], ttl)
  redis.call('EXPIRE', KEYS[3], ttl)
end
local body = ''
if not marker then
  body = string.char(#author) .. author .. ARGV[2]
end
redis.call('PUBLISH', KEYS[4], ARGV[1] .. struct.pack('>I8', seq) .. body)
return seq
";

/// Sets (count > 0) or removes (count 0) this instance's entry when ARGV[1]
/// is not empty, then sums the unexpired entries and deletes the expired
/// ones; with a header in ARGV[4], publishes the sum as a presence message.
/// Uses the Redis clock, so instances' clocks need not agree.
/// KEYS: presence hash, channel. ARGV: instance id or '', count, ttl (ms),
/// header ('' for none).
pub(super) const PRESENCE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
if ARGV[1] ~= '' then
  if tonumber(ARGV[2]) > 0 then
    redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. string.format('%d', now + ttl))
    redis.call('PEXPIRE', KEYS[1], 2 * ttl)
  else
    redis.call('HDEL', KEYS[1], ARGV[1])
  end
end
local all = redis.call('HGETALL', KEYS[1])
local sum = 0
for i = 1, #all, 2 do
  local count, expires = string.match(all[i + 1], '^(%d+):(%d+)$')
  if count and tonumber(expires) > now then
    sum = sum + tonumber(count)
  else
    redis.call('HDEL', KEYS[1], all[i])
  end
end
if ARGV[4] ~= '' then
  local be, n = '', sum
  for _ = 1, 8 do
    be = string.char(n % 256) .. be
    n = math.floor(n / 256)
  end
  redis.call('PUBLISH', KEYS[2], ARGV[4] .. string.rep(string.char(0), 8) .. be)
end
return sum
";
