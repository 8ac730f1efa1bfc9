using System.Net;
using Microsoft.AspNetCore.Routing;
using PromptStudio.Web.Tests.Infrastructure;

namespace PromptStudio.Web.Tests.Auth;

[Trait(Suites.Trait, Suites.Api)]
public sealed class AuthenticationTests : IAsyncLifetime
{
    private readonly StudioFactory _factory = new();

    public async ValueTask InitializeAsync() => await _factory.CreateOwnerClientAsync();

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    /// <summary>The only endpoints anonymous callers may reach; anything new is protected unless added here on purpose.</summary>
    private static readonly string[] AllowList =
    [
        "/api/auth/register", "/api/auth/login", "/api/auth/refresh",
        "/account/login", "/account/register",
        "/health/live", "/health/ready",
    ];

    [Fact]
    public async Task EveryEndpoint_Answers401WithoutCredentials_ExceptTheAllowList()
    {
        var endpoints = _factory.Service<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        var http = _factory.CreateClient(new() { AllowAutoRedirect = false });
        var checkedRoutes = 0;
        foreach (var endpoint in endpoints)
        {
            var pattern = endpoint.RoutePattern.RawText ?? "";
            var path = "/" + Concrete(pattern).TrimStart('/');
            if (IsStaticAsset(endpoint, path) || AllowList.Contains(path, StringComparer.OrdinalIgnoreCase)) continue;

            var methods = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (var method in methods)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method is "POST" or "PUT" or "PATCH") request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
                var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} ({pattern}) answered {(int)response.StatusCode} without credentials");
                checkedRoutes++;
            }
        }
        Assert.True(checkedRoutes > 30, $"only {checkedRoutes} routes were checked");
    }

    [Fact]
    public async Task AllowListedEndpoints_AreReachableWithoutCredentials()
    {
        var http = _factory.CreateClient(new() { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/account/login")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/app.css")).StatusCode);
        var login = await http.PostAsync("/api/auth/login", new StringContent("""{"email":"nobody@test.local","password":"nope-nope-1"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
    }

    [Fact]
    public async Task APageRequestFromABrowser_RedirectsToSignIn()
    {
        var http = _factory.CreateClient(new() { AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/jobs");
        request.Headers.Accept.ParseAdd("text/html");
        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/login", response.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task SecondRegistration_WithoutInvitation_IsRefused()
    {
        var http = _factory.CreateClient();
        var response = await http.PostAsync("/api/auth/register", new StringContent("""{"email":"stranger@test.local","password":"correct-horse-42"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("invitation", await response.Content.ReadAsStringAsync());
        var login = await http.PostAsync("/api/auth/login", new StringContent("""{"email":"stranger@test.local","password":"correct-horse-42"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
    }

    private static bool IsStaticAsset(RouteEndpoint endpoint, string path) =>
        endpoint.Metadata.Any(m => m.GetType().Name.Contains("StaticAsset", StringComparison.Ordinal))
        || path.StartsWith("/_content/", StringComparison.Ordinal) || path.StartsWith("/_framework/", StringComparison.Ordinal)
        || endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is not null && path.Contains('.', StringComparison.Ordinal);

    /// <summary>A request path for a route pattern: parameters get plausible values of their constraint's type.</summary>
    private static string Concrete(string pattern) => System.Text.RegularExpressions.Regex.Replace(pattern, @"\{\*?\*?([^}:=?]+)(:[^}]+)?\??\}", m =>
        m.Groups[2].Value.Contains("guid", StringComparison.Ordinal) ? Guid.NewGuid().ToString()
        : m.Groups[2].Value.Contains("int", StringComparison.Ordinal) ? "1"
        : "x");
}
