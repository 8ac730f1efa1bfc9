using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace PromptStudio.Client;

public sealed partial class PromptStudioClient
{
    /// <summary>The hub's path under the base URL.</summary>
    public const string HubPath = "hubs/optimization";

    private static readonly TimeSpan[] ReconnectDelays =
        [TimeSpan.Zero, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)];

    private const int EventPage = 1000;

    /// <summary>
    /// Every event of the job after <paramref name="afterEventId"/>, in id order and each once, live over the hub;
    /// ends after the job's terminal event (<c>job_complete</c>, <c>job_failed</c>, <c>job_cancelled</c>), at once
    /// when the job had already ended and nothing is left to deliver.
    /// </summary>
    /// <remarks>
    /// A dropped connection is reopened (for up to <see cref="PromptStudioClientOptions.ReconnectTimeout"/>) and
    /// subscribed again after the last event delivered; an event that arrives twice is skipped, and a jump in ids is
    /// filled from the REST events endpoint, so the caller sees ids rising by exactly one. Cancelling
    /// <paramref name="cancellationToken"/> stops watching; the job goes on.
    /// </remarks>
    public async IAsyncEnumerable<JobEventDto> WatchAsync(Guid jobId, long afterEventId = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterEventId);
        var last = afterEventId;
        var reconnect = new ReconnectBudget(Options.ReconnectTimeout);

        while (true)
        {
            // A job that has ended sends nothing live: what is left of it is in storage.
            var job = await RetryWhileUnreachableAsync(reconnect, () => GetJobAsync(jobId, cancellationToken), cancellationToken);
            if (job.IsTerminal())
            {
                await foreach (var stored in StoredEventsAsync(jobId, last, cancellationToken))
                    yield return stored;
                yield break;
            }

            var events = Channel.CreateUnbounded<JobEventDto>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            await using var connection = BuildHubConnection();
            // The client runs handlers one at a time in arrival order, so the channel keeps the server's order.
            connection.On<JobEventDto>("JobEvent", e =>
            {
                if (e.JobId == jobId) events.Writer.TryWrite(e);
            });
            connection.Closed += _ =>
            {
                events.Writer.TryComplete();
                return Task.CompletedTask;
            };

            if (!await TrySubscribeAsync(connection, jobId, last, reconnect, cancellationToken)) continue;
            reconnect.Reset();

            // Ends when the connection closes or the stream falls behind storage; the outer loop then starts over after `last`.
            var startOver = false;
            while (!startOver && await WaitForEventsAsync(events.Reader, jobId, last, cancellationToken))
            {
                while (!startOver && events.Reader.TryRead(out var e))
                {
                    if (e.Id <= last) continue;
                    if (e.Id > last + 1)
                    {
                        IReadOnlyList<JobEventDto>? missing = null;
                        try
                        {
                            missing = await GetJobEventsAsync(jobId, last, (int)Math.Min(EventPage, e.Id - 1 - last), cancellationToken);
                        }
                        catch (HttpRequestException)
                        {
                        }
                        foreach (var m in missing ?? [])
                        {
                            if (m.Id != last + 1 || m.Id >= e.Id) break;
                            yield return m;
                            last = m.Id;
                            if (m.IsTerminal()) yield break;
                        }
                        // Still short of e (unreachable, a page limit, or storage behind the live event): subscribe again after `last`.
                        startOver = e.Id > last + 1;
                        if (startOver) break;
                    }
                    yield return e;
                    last = e.Id;
                    if (e.IsTerminal()) yield break;
                }
            }
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// True once events are waiting; false when the connection has closed, or when a quiet spell of
    /// <see cref="PromptStudioClientOptions.WatchIdleCheck"/> turns out to hide events that storage has and the stream
    /// has not delivered (the job moved on, or ended, without them reaching us).
    /// </summary>
    private async Task<bool> WaitForEventsAsync(ChannelReader<JobEventDto> reader, Guid jobId, long last, CancellationToken cancellationToken)
    {
        while (true)
        {
            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            quiet.CancelAfter(Options.WatchIdleCheck);
            try
            {
                return await reader.WaitToReadAsync(quiet.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            try
            {
                var job = await GetJobAsync(jobId, cancellationToken);
                if (job.LastEventId > last || job.IsTerminal()) return reader.TryPeek(out _);
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                return false;
            }
        }
    }

    /// <summary>Stored events after <paramref name="afterEventId"/> to the end, page by page.</summary>
    private async IAsyncEnumerable<JobEventDto> StoredEventsAsync(Guid jobId, long afterEventId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var last = afterEventId;
        while (true)
        {
            var page = await GetJobEventsAsync(jobId, last, EventPage, cancellationToken);
            foreach (var e in page)
            {
                yield return e;
                last = e.Id;
            }
            if (page.Count < EventPage) yield break;
        }
    }

    private HubConnection BuildHubConnection() => new HubConnectionBuilder()
        .WithUrl(new Uri(BaseAddress, HubPath), o =>
        {
            if (!string.IsNullOrEmpty(Options.ApiKey)) o.AccessTokenProvider = () => Task.FromResult<string?>(Options.ApiKey);
            if (Options.HttpMessageHandlerFactory is { } factory) o.HttpMessageHandlerFactory = _ => factory();
        })
        .Build();

    /// <summary>Runs <paramref name="attempt"/> until it succeeds, waiting between tries while the server cannot be reached.</summary>
    private static async Task<T> RetryWhileUnreachableAsync<T>(ReconnectBudget budget, Func<Task<T>> attempt, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await attempt();
            }
            catch (Exception e) when (IsTransient(e, cancellationToken) && !budget.Spent)
            {
                await Task.Delay(budget.NextDelay(), cancellationToken);
            }
        }
    }

    /// <summary>
    /// Opens the connection and subscribes after <paramref name="afterEventId"/>; false (after a pause) when the server
    /// cannot be reached, so the caller starts over. Refusals by the server (bad key, unknown job) are never retried.
    /// </summary>
    private static async Task<bool> TrySubscribeAsync(HubConnection connection, Guid jobId, long afterEventId, ReconnectBudget budget, CancellationToken cancellationToken)
    {
        try
        {
            await connection.StartAsync(cancellationToken);
            await connection.InvokeAsync("Subscribe", jobId, afterEventId, cancellationToken);
            return true;
        }
        catch (HttpRequestException e) when (e.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new PromptStudioApiException(e.StatusCode.Value, $"The server refused the connection to the hub ({(int)e.StatusCode.Value}): check the API key.");
        }
        catch (Exception e) when (IsTransient(e, cancellationToken) && !budget.Spent)
        {
            await Task.Delay(budget.NextDelay(), cancellationToken);
            return false;
        }
    }

    private static bool IsTransient(Exception e, CancellationToken cancellationToken) => e switch
    {
        PromptStudioApiException api => api.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout,
        HubException => false,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => e is HttpRequestException or IOException or TimeoutException or System.Net.WebSockets.WebSocketException or InvalidOperationException,
    };

    /// <summary>
    /// How long and how often to try for a connection after it was lost; reset once one succeeds. Before the first
    /// connection nothing is retried, so a wrong URL fails at once instead of after the timeout.
    /// </summary>
    private sealed class ReconnectBudget(TimeSpan timeout)
    {
        private int _attempt;
        private DateTime? _since;
        private bool _everConnected;

        public bool Spent => !_everConnected || (_since is { } since && DateTime.UtcNow - since > timeout);

        public TimeSpan NextDelay()
        {
            _since ??= DateTime.UtcNow;
            return ReconnectDelays[Math.Min(_attempt++, ReconnectDelays.Length - 1)];
        }

        public void Reset()
        {
            _everConnected = true;
            _attempt = 0;
            _since = null;
        }
    }
}
