using System.Net;
using System.Text.Json;

namespace PromptStudio.Client;

/// <summary>
/// The server refused a request. <see cref="Exception.Message"/> is the server's own explanation (the problem's
/// detail, else its title); <see cref="Errors"/> names the invalid fields of a 400, and a 409 for a job action
/// carries the job's <see cref="CurrentState"/> and the <see cref="AllowedActions"/>.
/// </summary>
public sealed class PromptStudioApiException : Exception
{
    public PromptStudioApiException(HttpStatusCode statusCode, string message, string? title = null,
        IReadOnlyDictionary<string, string[]>? errors = null, string? currentState = null, IReadOnlyList<string>? allowedActions = null)
        : base(message)
    {
        StatusCode = statusCode;
        Title = title;
        Errors = errors ?? new Dictionary<string, string[]>();
        CurrentState = currentState;
        AllowedActions = allowedActions ?? [];
    }

    public HttpStatusCode StatusCode { get; }

    /// <summary>The problem's title, e.g. "One or more fields are invalid.".</summary>
    public string? Title { get; }

    /// <summary>Field → messages of a validation problem; empty otherwise.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    /// <summary>The job's state when an action was refused (409).</summary>
    public string? CurrentState { get; }

    /// <summary>The actions the job allows in <see cref="CurrentState"/> (409).</summary>
    public IReadOnlyList<string> AllowedActions { get; }

    /// <summary>Reads a failed response: problem details when the server sent them, the status line otherwise.</summary>
    public static async Task<PromptStudioApiException> FromResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = response.StatusCode;
        var fallback = $"{(int)status} {response.ReasonPhrase ?? status.ToString()}";
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (string.IsNullOrWhiteSpace(body)) return new PromptStudioApiException(status, fallback);

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return new PromptStudioApiException(status, fallback);
            var title = String(root, "title");
            var detail = String(root, "detail");
            return new PromptStudioApiException(
                status,
                detail ?? title ?? fallback,
                title,
                ReadErrors(root),
                String(root, "currentState"),
                root.TryGetProperty("allowedActions", out var allowed) && allowed.ValueKind == JsonValueKind.Array
                    ? allowed.EnumerateArray().Select(a => a.ToString()).ToArray()
                    : null);
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's error page, say): the start of the body says more than the status alone.
            var text = body.Length > 300 ? body[..300] + "…" : body;
            return new PromptStudioApiException(status, $"{fallback}: {text.Trim()}");
        }
    }

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static Dictionary<string, string[]>? ReadErrors(JsonElement root)
    {
        if (!root.TryGetProperty("errors", out var errors) || errors.ValueKind != JsonValueKind.Object) return null;
        return errors.EnumerateObject().ToDictionary(
            e => e.Name,
            e => e.Value.ValueKind == JsonValueKind.Array ? e.Value.EnumerateArray().Select(m => m.ToString()).ToArray() : [e.Value.ToString()],
            StringComparer.Ordinal);
    }
}
