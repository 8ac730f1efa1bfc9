using Microsoft.Extensions.Options;
using PromptStudio.Core.Llm;
using StackExchange.Redis;

namespace PromptStudio.Web.Providers;

/// <summary>
/// Each provider's limits across every node, in Redis. Concurrency: a sorted set of slot holders scored by the
/// expiry of their lease, renewed while the call runs, so the slots of a node that died mid-call come free within
/// <see cref="SlotLease"/>. Requests per minute: a sorted set of request tokens with the rule of
/// <see cref="SlidingWindowLog"/>: a token is reusable one window after the request that spent it ended; one in
/// flight is scored with an upper bound on its end, so a dead node's tokens come back too. Only Redis's clock
/// (TIME inside the scripts) is read, so the nodes' clocks need not agree. While Redis does not answer, each
/// node keeps to the limits on its own (its <see cref="ProviderLimiter"/>) and says so in the log.
/// </summary>
public sealed class RedisProviderLimits(
    IConnectionMultiplexer redis,
    IOptions<LlmPipelineOptions> options,
    TimeProvider time,
    ILogger<RedisProviderLimits> logger) : ISharedProviderLimits
{
    public static readonly TimeSpan SlotLease = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan LongestPoll = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan WarningEvery = TimeSpan.FromSeconds(30);

    private const string Now = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        """;

    // KEYS[1] holders; ARGV: limit, lease ms, holder. 1 when the slot is taken.
    private const string TakeSlot = Now + """
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
          redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
          redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
          return 1
        end
        return 0
        """;

    // KEYS[1] holders; ARGV: lease ms, holder. 0 when the lease had already run out and the slot went to someone else.
    private const string RenewSlot = Now + """
        if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
          redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[2])
          redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
          return 1
        end
        return 0
        """;

    // KEYS[1] tokens; ARGV: limit, window ms, longest attempt ms, token. 0 when taken, else ms until one may be free.
    private const string TakeToken = Now + """
        local window = tonumber(ARGV[2])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
        if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
          redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
          redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) + window)
          return 0
        end
        local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        return math.max(1, tonumber(first[2]) + window - now)
        """;

    // KEYS[1] tokens; ARGV: token. Its window starts now.
    private const string EndToken = Now + """
        if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
          redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
        end
        return 1
        """;

    private readonly IConnectionMultiplexer _redis = redis;
    private readonly LlmPipelineOptions _options = options.Value;
    private readonly TimeProvider _time = time;
    private readonly ILogger<RedisProviderLimits> _logger = logger;
    private long _lastWarning = long.MinValue;

    public ISharedProviderLimit For(string scope, ProviderSettings settings, TimeSpan window) => new Limit(this, scope, settings, window);

    private IDatabase Db => _redis.GetDatabase();

    /// <summary>Polls until the script grants; the wait it reports (or a short back-off) sets the next try.</summary>
    private async ValueTask<bool> UntilGrantedAsync(Func<Task<long>> attempt, string provider, CancellationToken ct)
    {
        var backOff = FirstPoll;
        while (true)
        {
            // Known to be down: no call should wait for a command timeout to learn it again.
            if (!_redis.IsConnected)
            {
                Warn(null, provider);
                return false;
            }
            long waitMs;
            try
            {
                waitMs = await attempt();
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                Warn(e, provider);
                return false;
            }
            if (waitMs == 0) return true;
            // A slot or an in-flight token may come free at any moment: never sleep long on one guess.
            var wait = TimeSpan.FromMilliseconds(Math.Min(waitMs, backOff.TotalMilliseconds));
            await Task.Delay(wait, _time, ct);
            backOff = TimeSpan.FromTicks(Math.Min(backOff.Ticks * 2, LongestPoll.Ticks));
        }
    }

    private void Warn(Exception? e, string provider)
    {
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastWarning);
        if (last != long.MinValue && _time.GetElapsedTime(last, now) < WarningEvery) return;
        Interlocked.Exchange(ref _lastWarning, now);
        _logger.LogWarning(e, "Redis does not answer: provider {Provider} is limited by this node alone until it does", provider);
    }

    /// <summary>Fire and forget: a release that does not arrive is made good by the lease or the token's upper bound.</summary>
    private void Forget(string script, RedisKey key, params RedisValue[] values)
    {
        try
        {
            Db.ScriptEvaluate(script, [key], values, CommandFlags.FireAndForget);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
        }
    }

    private sealed class Limit(RedisProviderLimits owner, string scope, ProviderSettings settings, TimeSpan window) : ISharedProviderLimit
    {
        private readonly RedisKey _slots = $"promptstudio:provider:{scope}:slots";
        private readonly RedisKey _tokens = $"promptstudio:provider:{scope}:requests";

        public async ValueTask<IDisposable> AcquireSlotAsync(CancellationToken cancellationToken)
        {
            var holder = Guid.NewGuid().ToString("N");
            var lease = (long)SlotLease.TotalMilliseconds;
            var granted = await owner.UntilGrantedAsync(async () =>
                (long)await owner.Db.ScriptEvaluateAsync(TakeSlot, [_slots], [Math.Max(1, settings.MaxConcurrency), lease, holder]) == 1 ? 0 : long.MaxValue,
                settings.Name, cancellationToken);
            return granted ? new Slot(owner, _slots, holder) : Nothing.Instance;
        }

        public async ValueTask<IDisposable> AcquireRequestTokenAsync(CancellationToken cancellationToken)
        {
            var token = Guid.NewGuid().ToString("N");
            // An attempt ends within its timeout; a token whose end never arrives (its node died) counts as ended then.
            var longest = (long)(owner._options.AttemptTimeout + TimeSpan.FromSeconds(30)).TotalMilliseconds;
            var granted = await owner.UntilGrantedAsync(async () =>
                (long)await owner.Db.ScriptEvaluateAsync(TakeToken, [_tokens], [settings.RequestsPerMinute, (long)window.TotalMilliseconds, longest, token]),
                settings.Name, cancellationToken);
            return granted ? new Token(owner, _tokens, token) : Nothing.Instance;
        }
    }

    /// <summary>A held slot: its lease is renewed every third of <see cref="SlotLease"/> until it is released.</summary>
    private sealed class Slot : IDisposable
    {
        private readonly RedisProviderLimits _owner;
        private readonly RedisKey _key;
        private readonly string _holder;
        private readonly ITimer _renewal;
        private int _released;

        public Slot(RedisProviderLimits owner, RedisKey key, string holder)
        {
            _owner = owner;
            _key = key;
            _holder = holder;
            var every = SlotLease / 3;
            _renewal = owner._time.CreateTimer(_ => Renew(), null, every, every);
        }

        private void Renew() => _owner.Forget(RenewSlot, _key, (long)SlotLease.TotalMilliseconds, _holder);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 1) return;
            _renewal.Dispose();
            try
            {
                _owner.Db.SortedSetRemove(_key, _holder, CommandFlags.FireAndForget);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
            }
        }
    }

    private sealed class Token(RedisProviderLimits owner, RedisKey key, string token) : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0) owner.Forget(EndToken, key, token);
        }
    }

    /// <summary>What is handed out while Redis does not answer: the node's own limits already apply.</summary>
    private sealed class Nothing : IDisposable
    {
        public static readonly Nothing Instance = new();

        public void Dispose()
        {
        }
    }
}
