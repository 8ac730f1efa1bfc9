using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace PromptStudio.Client;

/// <summary>
/// Typed access to the PromptStudio REST API and its live job events. Every failed request throws
/// <see cref="PromptStudioApiException"/> with the server's message; a server that cannot be reached throws
/// <see cref="HttpRequestException"/>.
/// </summary>
public sealed partial class PromptStudioClient : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    public PromptStudioClient(PromptStudioClientOptions options)
        : this(new HttpClient(options.HttpMessageHandlerFactory?.Invoke() ?? new SocketsHttpHandler(), disposeHandler: true), options, ownsHttp: true)
    {
    }

    /// <summary>Uses a caller-owned <see cref="HttpClient"/> (e.g. from IHttpClientFactory); its base address and auth header are set here.</summary>
    public PromptStudioClient(HttpClient http, PromptStudioClientOptions options)
        : this(http, options, ownsHttp: false)
    {
    }

    private PromptStudioClient(HttpClient http, PromptStudioClientOptions options, bool ownsHttp)
    {
        Options = options;
        _http = http;
        _ownsHttp = ownsHttp;
        // Relative paths below resolve under the base URL only when it ends with a slash.
        var root = options.BaseUrl.AbsoluteUri;
        _http.BaseAddress = new Uri(root.EndsWith('/') ? root : root + "/");
        _http.Timeout = options.RequestTimeout;
        if (!string.IsNullOrEmpty(options.ApiKey))
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
    }

    public PromptStudioClientOptions Options { get; }

    public Uri BaseAddress => _http.BaseAddress!;

    // ---- Prompts ----

    /// <summary>The latest version of every prompt.</summary>
    public Task<IReadOnlyList<PromptDto>> ListPromptsAsync(CancellationToken cancellationToken = default) =>
        GetAsync<IReadOnlyList<PromptDto>>("api/prompts", cancellationToken);

    public Task<PromptDto> GetPromptAsync(int id, CancellationToken cancellationToken = default) =>
        GetAsync<PromptDto>($"api/prompts/{id}", cancellationToken);

    /// <summary>Creates version 1 of a new prompt.</summary>
    public Task<PromptDto> CreatePromptAsync(CreatePromptRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<PromptDto>(HttpMethod.Post, "api/prompts", request, cancellationToken);

    /// <summary>All versions of the prompt that <paramref name="id"/> is a version of, oldest first.</summary>
    public Task<IReadOnlyList<PromptDto>> GetPromptVersionsAsync(int id, CancellationToken cancellationToken = default) =>
        GetAsync<IReadOnlyList<PromptDto>>($"api/prompts/{id}/versions", cancellationToken);

    /// <summary>Adds a version after the prompt's latest; it becomes the latest.</summary>
    public Task<PromptDto> AddPromptVersionAsync(int id, AddPromptVersionRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<PromptDto>(HttpMethod.Post, $"api/prompts/{id}/versions", request, cancellationToken);

    // ---- Datasets ----

    public Task<IReadOnlyList<DatasetDto>> ListDatasetsAsync(CancellationToken cancellationToken = default) =>
        GetAsync<IReadOnlyList<DatasetDto>>("api/datasets", cancellationToken);

    public Task<DatasetDto> GetDatasetAsync(int id, CancellationToken cancellationToken = default) =>
        GetAsync<DatasetDto>($"api/datasets/{id}", cancellationToken);

    /// <summary>Creates a dataset with its items; all of them are stored or, when one is invalid, none.</summary>
    public Task<DatasetDto> CreateDatasetAsync(CreateDatasetRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<DatasetDto>(HttpMethod.Post, "api/datasets", request, cancellationToken);

    /// <summary>One page of a dataset's items, in id order (the server allows up to 1000 per page).</summary>
    public Task<Page<DatasetItemDto>> GetDatasetItemsAsync(int id, int offset = 0, int limit = 100, CancellationToken cancellationToken = default) =>
        GetAsync<Page<DatasetItemDto>>($"api/datasets/{id}/items?offset={offset}&limit={limit}", cancellationToken);

    /// <summary>Every item of a dataset, a page at a time.</summary>
    public async IAsyncEnumerable<DatasetItemDto> GetAllDatasetItemsAsync(int id, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        const int pageSize = 1000;
        for (var offset = 0; ; offset += pageSize)
        {
            var page = await GetDatasetItemsAsync(id, offset, pageSize, cancellationToken);
            foreach (var item in page.Items) yield return item;
            if (page.Items.Count < pageSize || offset + page.Items.Count >= page.Total) yield break;
        }
    }

    /// <summary>Adds items to a dataset; all of them are stored or, when one is invalid, none.</summary>
    public Task<IReadOnlyList<DatasetItemDto>> AddDatasetItemsAsync(int id, AddDatasetItemsRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<DatasetItemDto>>(HttpMethod.Post, $"api/datasets/{id}/items", request, cancellationToken);

    // ---- Optimization jobs ----

    /// <summary>Starts a job; it comes back queued.</summary>
    public Task<JobDto> StartOptimizationAsync(StartOptimizationRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<JobDto>(HttpMethod.Post, "api/optimization", request, cancellationToken);

    /// <summary>What the job would spend (calls, tokens, cost: an upper bound and a typical run) without starting it.</summary>
    public Task<JobEstimateDto> EstimateOptimizationAsync(StartOptimizationRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<JobEstimateDto>(HttpMethod.Post, "api/optimization/estimate", request, cancellationToken);

    /// <summary>Jobs, newest first, optionally only those in <paramref name="status"/>.</summary>
    public Task<IReadOnlyList<JobDto>> ListJobsAsync(string? status = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        var query = new List<string>();
        if (!string.IsNullOrEmpty(status)) query.Add("status=" + Uri.EscapeDataString(status));
        if (limit is { } l) query.Add($"limit={l}");
        return GetAsync<IReadOnlyList<JobDto>>("api/optimization" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), cancellationToken);
    }

    public Task<JobDto> GetJobAsync(Guid id, CancellationToken cancellationToken = default) =>
        GetAsync<JobDto>($"api/optimization/{id}", cancellationToken);

    /// <summary>Pauses a running job (409 otherwise); returns once it has stopped.</summary>
    public Task<JobDto> PauseJobAsync(Guid id, CancellationToken cancellationToken = default) =>
        SendAsync<JobDto>(HttpMethod.Post, $"api/optimization/{id}/pause", null, cancellationToken);

    /// <summary>Resumes a paused job (409 otherwise).</summary>
    public Task<JobDto> ResumeJobAsync(Guid id, CancellationToken cancellationToken = default) =>
        SendAsync<JobDto>(HttpMethod.Post, $"api/optimization/{id}/resume", null, cancellationToken);

    /// <summary>Cancels a queued, running or paused job for good (409 otherwise).</summary>
    public Task<JobDto> CancelJobAsync(Guid id, CancellationToken cancellationToken = default) =>
        SendAsync<JobDto>(HttpMethod.Post, $"api/optimization/{id}/cancel", null, cancellationToken);

    /// <summary>The per-iteration scorecard; <paramref name="includeItems"/> adds every item's result.</summary>
    public Task<JobResultsDto> GetJobResultsAsync(Guid id, bool includeItems = false, CancellationToken cancellationToken = default) =>
        GetAsync<JobResultsDto>($"api/optimization/{id}/results{(includeItems ? "?items=true" : "")}", cancellationToken);

    /// <summary>Stored events with an id greater than <paramref name="afterEventId"/>, in order (the server allows up to 5000 per call).</summary>
    public Task<IReadOnlyList<JobEventDto>> GetJobEventsAsync(Guid id, long afterEventId = 0, int? limit = null, CancellationToken cancellationToken = default) =>
        GetAsync<IReadOnlyList<JobEventDto>>($"api/optimization/{id}/events?afterEventId={afterEventId}{(limit is { } l ? $"&limit={l}" : "")}", cancellationToken);

    // ---- Identity ----

    /// <summary>
    /// Who the API key belongs to, as the server describes it (<c>GET /api/me</c>), or null when the server has no
    /// such endpoint (one without accounts).
    /// </summary>
    public async Task<JsonElement?> GetIdentityAsync(CancellationToken cancellationToken = default)
    {
        foreach (var path in (string[])["api/me", "api/workspaces"])
        {
            using var response = await _http.GetAsync(path, cancellationToken);
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed) continue;
            await EnsureSuccessAsync(response, cancellationToken);
            // A server without the endpoint may answer with the dashboard's HTML page: that is not an identity.
            if (response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) != true) continue;
            return await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken);
        }
        return null;
    }

    // ---- Plumbing ----

    private async Task<T> GetAsync<T>(string path, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(path, cancellationToken);
        return await ReadAsync<T>(response, cancellationToken);
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        using var response = await _http.SendAsync(request, cancellationToken);
        return await ReadAsync<T>(response, cancellationToken);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await EnsureSuccessAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken)
            ?? throw new PromptStudioApiException(response.StatusCode, $"The server answered {(int)response.StatusCode} with an empty body.");
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode) throw await PromptStudioApiException.FromResponseAsync(response, cancellationToken);
    }

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }
}
