using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using PromptStudio.Web.Data;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Auth;

public sealed class AuthOptions
{
    /// <summary>When false (the default), only the first account and invited people may register.</summary>
    public bool OpenRegistration { get; set; }

    /// <summary>Iteration-runs a new workspace may use.</summary>
    public int DefaultIterationLimit { get; set; } = 1000;

    /// <summary>API requests per minute for each user or API key (on their total across nodes when Redis is configured).</summary>
    public int RequestsPerMinute { get; set; } = 600;
}

/// <summary>
/// Secure by default: every endpoint needs an authenticated caller (the fallback policy) unless it is on the
/// short list that calls <c>AllowAnonymous</c> — sign-in pages, the sign-in API, health and static assets.
/// A caller is a cookie (dashboard), an Identity bearer token, or an API key.
/// </summary>
public static class AuthSetup
{
    public const string SmartScheme = "Smart";

    public static IServiceCollection AddStudioAuth(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<AuthOptions>(configuration.GetSection("Auth"));
        services.AddIdentityCore<StudioUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.Password.RequiredLength = 8;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequireUppercase = false;
                o.SignIn.RequireConfirmedAccount = false;
            })
            .AddEntityFrameworkStores<StudioDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders()
            .AddApiEndpoints();

        services.AddAuthentication(o =>
            {
                o.DefaultScheme = SmartScheme;
                o.DefaultChallengeScheme = SmartScheme;
                o.DefaultSignInScheme = IdentityConstants.ApplicationScheme;
            })
            .AddPolicyScheme(SmartScheme, "Cookie, bearer token or API key", o => o.ForwardDefaultSelector = SelectScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(ApiKeyHandler.SchemeName, null)
            .AddBearerToken(IdentityConstants.BearerScheme, o => o.Events.OnMessageReceived = ctx =>
            {
                // SignalR browser clients send tokens as access_token on WebSockets and server-sent events.
                if (ctx.Request.Path.StartsWithSegments(Hubs.OptimizationHub.Path) && ctx.Request.Query.TryGetValue("access_token", out var token))
                    ctx.Token = token;
                return Task.CompletedTask;
            })
            .AddIdentityCookies();

        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/account/login";
            o.LogoutPath = "/account/logout";
            o.AccessDeniedPath = "/account/login";
            o.Cookie.Name = "promptstudio";
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Events.OnRedirectToLogin = ctx => ChallengeAsync(ctx, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = ctx => ChallengeAsync(ctx, StatusCodes.Status403Forbidden);
        });

        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        services.AddCascadingAuthenticationState();

        services.AddSingleton<WorkspaceResolver>();
        services.AddScoped<WorkspaceContext>();
        services.AddScoped<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler, WorkspaceCircuitHandler>();
        services.AddSingleton<AccountService>();
        services.AddSingleton<AuditLog>();
        services.AddStudioRateLimits(configuration);
        return services;
    }

    private static string SelectScheme(HttpContext context)
    {
        var request = context.Request;
        if (ApiKeyHandler.FindKey(request) is not null || ApiKeyHandler.HasKeyInForbiddenQuery(request)) return ApiKeyHandler.SchemeName;
        if (request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return IdentityConstants.BearerScheme;
        if (request.Path.StartsWithSegments(Hubs.OptimizationHub.Path) && request.Query.ContainsKey("access_token")) return IdentityConstants.BearerScheme;
        return IdentityConstants.ApplicationScheme;
    }

    /// <summary>Browsers asking for a page are sent to the sign-in page; API, hub and script callers get a status code.</summary>
    private static async Task ChallengeAsync(RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> ctx, int status)
    {
        var request = ctx.Request;
        var wantsPage = HttpMethods.IsGet(request.Method)
            && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase)
            && !request.Path.StartsWithSegments("/api") && !request.Path.StartsWithSegments("/hubs");
        if (wantsPage)
        {
            ctx.Response.Redirect(ctx.RedirectUri);
            return;
        }
        ctx.Response.StatusCode = status;
        await ctx.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = ctx.HttpContext,
            ProblemDetails =
            {
                Status = status,
                Title = status == 401 ? "Unauthorized" : "Forbidden",
                Detail = status == 401
                    ? "Authentication is required: sign in, or send an API key as 'Authorization: Bearer <key>'."
                    : "You may not do this.",
            },
        });
    }

    /// <summary>Resolves the caller's workspace for every authenticated request (X-Workspace-Id picks one).</summary>
    public static IApplicationBuilder UseWorkspaceResolution(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.User.Identity?.IsAuthenticated == true)
        {
            Guid? requested = null;
            if (context.Request.Headers.TryGetValue(WorkspaceResolver.WorkspaceHeader, out var header) && !string.IsNullOrWhiteSpace(header))
            {
                if (!Guid.TryParse(header, out var id))
                {
                    context.Response.StatusCode = 400;
                    await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                    {
                        HttpContext = context,
                        ProblemDetails = { Status = 400, Title = "Bad request", Detail = $"{WorkspaceResolver.WorkspaceHeader} must be a workspace id (a GUID)." },
                    });
                    return;
                }
                requested = id;
            }
            await context.RequestServices.GetRequiredService<WorkspaceResolver>()
                .ResolveAsync(context.User, requested, context.RequestServices.GetRequiredService<WorkspaceContext>(), context.RequestAborted);
        }
        await next(context);
    });

    private static IServiceCollection AddStudioRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var perMinute = configuration.GetSection("Auth").GetValue("RequestsPerMinute", new AuthOptions().RequestsPerMinute);
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                if (!context.Request.Path.StartsWithSegments("/api") || context.User.Identity?.IsAuthenticated != true)
                    return RateLimitPartition.GetNoLimiter("unlimited");
                // One bucket per API key, or per user for cookie and token callers.
                var partition = context.User.FindFirst(ApiKeyClaims.KeyId)?.Value is { } key
                    ? $"key:{key}"
                    : $"user:{context.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value}";
                return RequestRateLimits.For(context, partition, perMinute);
            });
            o.OnRejected = async (ctx, ct) =>
            {
                var retryAfter = RequestRateLimits.RetryAfter(ctx.Lease) ?? TimeSpan.FromSeconds(60);
                ctx.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await ctx.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = ctx.HttpContext,
                    ProblemDetails = { Status = 429, Title = "Too many requests", Detail = $"At most {perMinute} API requests per minute; try again after the Retry-After delay." },
                });
            };
        });
        return services;
    }
}
