using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.Data;
using PromptStudio.Web.Auth;

namespace PromptStudio.Web.Api;

public static class AuthApi
{
    /// <summary>
    /// Identity's own endpoints under /api/auth. Registration is guarded: the first account is free, later
    /// ones need an <c>invitationToken</c> in the body unless registration is open; a new account then gets its
    /// membership. Only register, login and refresh are open to anonymous callers.
    /// </summary>
    public static void MapAuthApi(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Auth");
        auth.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (!http.Request.Path.Value!.EndsWith("/register", StringComparison.OrdinalIgnoreCase)) return await next(context);

            var token = await ReadInvitationTokenAsync(http.Request);
            var accounts = http.RequestServices.GetRequiredService<AccountService>();
            if (await accounts.CheckRegistrationAsync(token, http.RequestAborted) is { } refusal)
                return TypedResults.Problem(statusCode: 403, title: "Registration closed", detail: refusal);

            var result = await next(context);
            var request = context.Arguments.OfType<RegisterRequest>().FirstOrDefault();
            if (http.Response.StatusCode < 400 && request is not null && result is not Microsoft.AspNetCore.Http.HttpResults.ValidationProblem)
            {
                var user = await http.RequestServices.GetRequiredService<UserManager<StudioUser>>().FindByEmailAsync(request.Email);
                if (user is not null) await accounts.OnRegisteredAsync(user.Id, user.UserName ?? request.Email, token, http.RequestAborted);
            }
            return result;
        });
        // Secure by default means these three are the explicit exceptions.
        ((IEndpointConventionBuilder)auth).Add(endpoint =>
        {
            if (endpoint is RouteEndpointBuilder route && AnonymousPaths.Contains("/" + route.RoutePattern.RawText?.TrimStart('/'), StringComparer.OrdinalIgnoreCase))
                endpoint.Metadata.Add(new Microsoft.AspNetCore.Authorization.AllowAnonymousAttribute());
        });
        auth.MapIdentityApi<StudioUser>();

        app.MapPost("/account/logout", async (SignInManager<StudioUser> signIn) =>
        {
            await signIn.SignOutAsync();
            return TypedResults.LocalRedirect("/account/login");
        }).WithMetadata(new Microsoft.AspNetCore.Antiforgery.RequireAntiforgeryTokenAttribute()).ExcludeFromDescription();
    }

    /// <summary>Identity's register endpoint reads the body first; buffering lets the guard read the invitation token too.</summary>
    public static IApplicationBuilder UseRegistrationBodyBuffering(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        if (context.Request.Path.Equals("/api/auth/register", StringComparison.OrdinalIgnoreCase)) context.Request.EnableBuffering();
        return next(context);
    });

    private static async Task<string?> ReadInvitationTokenAsync(HttpRequest request)
    {
        if (!request.Body.CanSeek) return null;
        request.Body.Position = 0;
        try
        {
            using var doc = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("invitationToken", out var t) && t.ValueKind == JsonValueKind.String
                ? t.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
        finally
        {
            request.Body.Position = 0;
        }
    }

    public static readonly string[] AnonymousPaths = ["/api/auth/register", "/api/auth/login", "/api/auth/refresh"];
}
