namespace PromptStudio.Client;

/// <summary>Where the PromptStudio server is and how to authenticate to it.</summary>
public sealed class PromptStudioClientOptions
{
    /// <summary>The server's root URL, e.g. <c>http://localhost:5000</c>.</summary>
    public required Uri BaseUrl { get; set; }

    /// <summary>A workspace API key, sent as a bearer token to the REST API and the hub. Null sends none.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Timeout of one REST request.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>How long <see cref="PromptStudioClient.WatchAsync"/> keeps trying to get a dropped connection back before it gives up.</summary>
    public TimeSpan ReconnectTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long <see cref="PromptStudioClient.WatchAsync"/> waits in silence before it asks the server whether the job has
    /// events it was not sent; a paused job is quiet, a stalled stream is not.
    /// </summary>
    public TimeSpan WatchIdleCheck { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Makes the HTTP handler for REST calls (once per client) and for each hub connection. Null uses the default handler.
    /// Tests and proxies plug in here.
    /// </summary>
    public Func<HttpMessageHandler>? HttpMessageHandlerFactory { get; set; }
}
