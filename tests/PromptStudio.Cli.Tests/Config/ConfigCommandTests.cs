using System.Net;
using System.Text;
using PromptStudio.Cli.Tests.Infrastructure;

namespace PromptStudio.Cli.Tests.Config;

public sealed class ConfigCommandTests : IDisposable
{
    private readonly CliRunner _cli = new();

    [Fact]
    public async Task ConfigSet_StoresTheUrlAndKeyInTheConfigFolder_AndShowMasksTheKey()
    {
        Assert.Equal(0, (await _cli.RunAsync("config", "set", "url", "https://studio.example.com/")).ExitCode);
        Assert.Equal(0, (await _cli.RunAsync("config", "set", "api-key", "ps_live_1234567890abcdef")).ExitCode);

        var file = await File.ReadAllTextAsync(Path.Combine(_cli.ConfigDirectory, "config.json"));
        Assert.Contains("https://studio.example.com", file);
        Assert.Contains("ps_live_1234567890abcdef", file);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_cli.ConfigDirectory, "config.json")));

        var show = await _cli.RunAsync("config", "show");
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("https://studio.example.com", show.Out);
        Assert.Contains("ps_l…cdef", show.Out);
        Assert.DoesNotContain("ps_live_1234567890abcdef", show.Out);
        Assert.Contains("config file", show.Out);
    }

    [Fact]
    public async Task EnvironmentVariables_OverrideTheConfigFile()
    {
        await _cli.RunAsync("config", "set", "url", "http://from-file:5000");
        _cli.Environment["PROMPTSTUDIO_URL"] = "http://from-env:6000";
        _cli.Environment["PROMPTSTUDIO_API_KEY"] = "env-key-123456789";

        var show = await _cli.RunAsync("config", "show", "--json");

        Assert.Equal(0, show.ExitCode);
        using var json = System.Text.Json.JsonDocument.Parse(show.Out);
        Assert.Equal("http://from-env:6000", json.RootElement.GetProperty("url").GetString());
        Assert.Contains("PROMPTSTUDIO_URL", json.RootElement.GetProperty("urlSource").GetString());
        Assert.Contains("PROMPTSTUDIO_API_KEY", json.RootElement.GetProperty("apiKeySource").GetString());
        Assert.Equal("env-…6789", json.RootElement.GetProperty("apiKey").GetString());
    }

    [Fact]
    public async Task ConfigSetUrl_RejectsAnAddressThatIsNotHttp_WithExitTwo()
    {
        var run = await _cli.RunAsync("config", "set", "url", "ftp://nope");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("is not an http:// or https:// URL", run.Error);
        Assert.False(File.Exists(Path.Combine(_cli.ConfigDirectory, "config.json")));
    }

    [Fact]
    public async Task TheApiKey_IsSentAsABearerToken()
    {
        var stub = new StubServer(_ => (HttpStatusCode.OK, "[]"));
        using var cli = new CliRunner(new Dictionary<string, string> { ["PROMPTSTUDIO_URL"] = "http://stub.test", ["PROMPTSTUDIO_API_KEY"] = "key-abc" }) { HttpMessageHandlerFactory = () => stub };

        var run = await cli.RunAsync("prompts", "list");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("Bearer key-abc", stub.Requests.Single().Authorization);
    }

    [Fact]
    public async Task AWrongKey_ExitsOne_WithTheServersMessage()
    {
        var stub = new StubServer(_ => (HttpStatusCode.Unauthorized,
            """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.2","title":"Unauthorized","status":401,"detail":"The API key is not valid or has been revoked."}"""));
        using var cli = new CliRunner(new Dictionary<string, string> { ["PROMPTSTUDIO_URL"] = "http://stub.test", ["PROMPTSTUDIO_API_KEY"] = "wrong-key" }) { HttpMessageHandlerFactory = () => stub };

        var run = await cli.RunAsync("optimize", "list");
        var json = await cli.RunAsync("datasets", "list", "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("The API key is not valid or has been revoked.", run.Error);
        Assert.Contains("promptstudio config set api-key", run.Error);
        Assert.DoesNotContain("   at ", run.All);
        Assert.Equal(1, json.ExitCode);
        var problem = json.JsonError();
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
        Assert.Equal("The API key is not valid or has been revoked.", problem.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Whoami_ShowsTheWorkspace_WhenTheServerKnowsWhoTheKeyBelongsTo()
    {
        var stub = new StubServer(path => path == "/api/me"
            ? (HttpStatusCode.OK, """{"user":"ada","role":"admin","workspace":{"id":"7b0c","name":"Team Ada"}}""")
            : (HttpStatusCode.NotFound, ""));
        using var cli = new CliRunner(new Dictionary<string, string> { ["PROMPTSTUDIO_URL"] = "http://stub.test", ["PROMPTSTUDIO_API_KEY"] = "key-0123456789" }) { HttpMessageHandlerFactory = () => stub };

        var run = await cli.RunAsync("whoami");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("http://stub.test", run.Out);
        Assert.Contains("key-…6789", run.Out);
        Assert.Contains("workspace.name", run.Out);
        Assert.Contains("Team Ada", run.Out);
        Assert.Contains("ada", run.Out);
    }

    [Fact]
    public async Task AnUnreachableServer_ExitsOne_WithAReadableMessage()
    {
        _cli.Environment["PROMPTSTUDIO_URL"] = "http://127.0.0.1:9";

        var run = await _cli.RunAsync("whoami");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Cannot reach PromptStudio at http://127.0.0.1:9", run.Error);
        Assert.DoesNotContain("   at ", run.All);
    }

    public void Dispose() => _cli.Dispose();

    /// <summary>Answers every request from a function of its path, as JSON, and records what was asked.</summary>
    private sealed class StubServer(Func<string, (HttpStatusCode Status, string Body)> answer) : HttpMessageHandler
    {
        public List<(string Path, string? Authorization)> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add((request.RequestUri!.AbsolutePath, request.Headers.Authorization?.ToString()));
            var (status, body) = answer(request.RequestUri.AbsolutePath);
            var mediaType = (int)status >= 400 ? "application/problem+json" : "application/json";
            return Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, mediaType) });
        }
    }
}
