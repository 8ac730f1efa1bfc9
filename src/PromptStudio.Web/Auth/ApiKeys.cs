using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PromptStudio.Web.Data;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Auth;

/// <summary>
/// Keys look like <c>ps_3f9a2c1b_&lt;43 characters&gt;</c>: a recognisable prefix, a public id used to find
/// the row, and a secret of which only a SHA-256 hash is stored and compared in constant time.
/// </summary>
public static class ApiKeyFormat
{
    public const string Start = "ps_";
    private const int IdLength = 8;

    public static (string Key, string Prefix, byte[] Hash) Generate()
    {
        var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(IdLength / 2)).ToLowerInvariant();
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        var prefix = Start + id;
        var key = $"{prefix}_{secret}";
        return (key, prefix, Hash(key));
    }

    public static bool LooksLikeKey(string? value) => value is not null && value.StartsWith(Start, StringComparison.Ordinal) && value.Length > Start.Length + IdLength + 1;

    public static string? PrefixOf(string key) =>
        LooksLikeKey(key) && key[Start.Length + IdLength] == '_' ? key[..(Start.Length + IdLength)] : null;

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public static bool Matches(string key, byte[] storedHash) => CryptographicOperations.FixedTimeEquals(Hash(key), storedHash);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

public static class ApiKeyClaims
{
    public const string KeyId = "ps:key";
    public const string Workspace = "ps:key_workspace";
    public const string Scope = "ps:key_scope";

    public static bool TryRead(ClaimsPrincipal user, out Guid keyId, out Guid workspaceId, out ApiKeyScope scope)
    {
        keyId = workspaceId = Guid.Empty;
        scope = default;
        return Guid.TryParse(user.FindFirstValue(KeyId), out keyId)
            && Guid.TryParse(user.FindFirstValue(Workspace), out workspaceId)
            && Enum.TryParse(user.FindFirstValue(Scope), true, out scope);
    }
}

/// <summary>
/// Authenticates <c>Authorization: Bearer ps_…</c>, <c>X-Api-Key</c>, and, on the hub only, the
/// <c>access_token</c> query parameter that SignalR clients use for WebSockets and server-sent events.
/// A key anywhere else in a query string is refused.
/// </summary>
public sealed class ApiKeyHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IDbContextFactory<StudioDbContext> dbFactory,
    TimeProvider time) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    private const string FailureItem = "ps:auth_failure";

    /// <summary>Where a request carries an API key, if anywhere.</summary>
    public static string? FindKey(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && ApiKeyFormat.LooksLikeKey(authorization[7..].Trim()))
            return authorization[7..].Trim();
        if (request.Headers.TryGetValue("X-Api-Key", out var header) && !string.IsNullOrWhiteSpace(header)) return header.ToString().Trim();
        if (IsHub(request) && request.Query.TryGetValue("access_token", out var token) && ApiKeyFormat.LooksLikeKey(token)) return token.ToString();
        return null;
    }

    public static bool HasKeyInForbiddenQuery(HttpRequest request) =>
        request.Query.Any(q => q.Value.Any(ApiKeyFormat.LooksLikeKey) && !(IsHub(request) && q.Key == "access_token"));

    private static bool IsHub(HttpRequest request) => request.Path.StartsWithSegments(Hubs.OptimizationHub.Path);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (HasKeyInForbiddenQuery(Request)) return Fail("API keys are not accepted in query strings; send them as 'Authorization: Bearer <key>' or 'X-Api-Key'.");
        var key = FindKey(Request);
        if (key is null) return AuthenticateResult.NoResult();

        var prefix = ApiKeyFormat.PrefixOf(key);
        if (prefix is null) return Fail("The API key is malformed.");
        await using var db = await dbFactory.CreateDbContextAsync(Context.RequestAborted);
        var row = await db.ApiKeys.FirstOrDefaultAsync(k => k.Prefix == prefix, Context.RequestAborted);
        if (row is null || !ApiKeyFormat.Matches(key, row.Hash)) return Fail("The API key is not valid.");
        var now = time.GetUtcNow().UtcDateTime;
        if (row.RevokedAt is not null) return Fail($"The API key {row.Prefix}… was revoked.");
        if (row.ExpiresAt is { } expires && expires <= now) return Fail($"The API key {row.Prefix}… expired at {expires:u}.");
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == row.UserId, Context.RequestAborted);
        if (user is null) return Fail("The API key's owner no longer exists.");

        // Last-used is shown to admins; a minute's precision spares a write on every request.
        if (row.LastUsedAt is null || now - row.LastUsedAt > TimeSpan.FromMinutes(1))
        {
            row.LastUsedAt = now;
            await db.SaveChangesAsync(Context.RequestAborted);
        }

        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, row.UserId),
            new Claim(ClaimTypes.Name, user.UserName ?? row.UserId),
            new Claim(ApiKeyClaims.KeyId, row.Id.ToString()),
            new Claim(ApiKeyClaims.Workspace, row.WorkspaceId.ToString()),
            new Claim(ApiKeyClaims.Scope, row.Scope.ToString()),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    private AuthenticateResult Fail(string message)
    {
        Context.Items[FailureItem] = message;
        return AuthenticateResult.Fail(message);
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        var detail = Context.Items[FailureItem] as string ?? "Authentication is required: sign in, or send an API key as 'Authorization: Bearer <key>'.";
        await Context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = 401, Title = "Unauthorized", Detail = detail },
        });
    }
}
