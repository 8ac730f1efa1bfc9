using System.Threading.Channels;

namespace PromptStudio.Web.Components.Shared;

/// <summary>
/// Carries items published on other threads (the job event bus calls back on the worker's thread) to a
/// component in batches: whatever arrived while the previous batch was applied and drawn becomes the next
/// batch, and batches are at least <c>interval</c> apart. A burst of a thousand events is therefore a
/// handful of redraws, and the publisher never waits for a circuit.
/// </summary>
public sealed class ThrottledFeed<T> : IAsyncDisposable
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(100);

    private readonly Channel<T> _channel = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<IReadOnlyList<T>, CancellationToken, Task> _onBatch;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private Task _loop = Task.CompletedTask;

    public ThrottledFeed(Func<IReadOnlyList<T>, CancellationToken, Task> onBatch, ILogger logger, TimeSpan? interval = null)
    {
        _onBatch = onBatch;
        _logger = logger;
        _interval = interval ?? DefaultInterval;
    }

    /// <summary>Never blocks; items posted before <see cref="Start"/> wait for it.</summary>
    public void Post(T item) => _channel.Writer.TryWrite(item);

    /// <summary>Starts handing over batches; call it once the component has its snapshot.</summary>
    public void Start()
    {
        if (_loop == Task.CompletedTask) _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    private async Task RunAsync(CancellationToken ct)
    {
        try
        {
            while (await _channel.Reader.WaitToReadAsync(ct))
            {
                var batch = new List<T>();
                while (_channel.Reader.TryRead(out var item)) batch.Add(item);
                try
                {
                    await _onBatch(batch, ct);
                }
                catch (Exception) when (ct.IsCancellationRequested)
                {
                    // The component is going away (its circuit may be gone already): nothing left to draw.
                    return;
                }
                catch (Exception e)
                {
                    // One bad batch (say, a database hiccup while filling a gap) must not end the live view.
                    _logger.LogWarning(e, "A live update batch failed");
                }
                await Task.Delay(_interval, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
