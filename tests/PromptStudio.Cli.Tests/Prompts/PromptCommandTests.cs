using PromptStudio.Cli.Tests.Infrastructure;
using PromptStudio.Client;

namespace PromptStudio.Cli.Tests.Prompts;

public sealed class PromptCommandTests(LiveServer server) : IClassFixture<LiveServer>, IDisposable
{
    private readonly CliRunner _cli = new(server);

    [Fact]
    public async Task CreateAddVersionVersionsAndDiff_WorkTogether_AndANewVersionKeepsWhatIsNotGiven()
    {
        var created = await _cli.RunAsync("prompts", "create", "--name", "Greeter", "--template", "Say hello to {{name}}.", "--system", "Be brief.", "--json");
        Assert.True(created.ExitCode == 0, created.ToString());
        var v1 = created.Json<PromptDto>();
        Assert.Equal(["name"], v1.Variables);

        var added = await _cli.RunAsync("prompts", "add-version", v1.Id.ToString(), "--template", "Say hello to {{name}}.\nMention the weather.", "--json");
        Assert.True(added.ExitCode == 0, added.ToString());
        var v2 = added.Json<PromptDto>();
        Assert.Equal(2, v2.Version);

        var versions = await _cli.RunAsync("prompts", "versions", v1.Id.ToString());
        Assert.Contains("v1", versions.Out);
        Assert.Contains("v2 (latest)", versions.Out);

        var diff = await _cli.RunAsync("prompts", "diff", v2.Id.ToString());
        Assert.True(diff.ExitCode == 0, diff.ToString());
        Assert.Contains($"--- Greeter v1 (id {v1.Id})", diff.Out);
        Assert.Contains($"+++ Greeter v2 (id {v2.Id})", diff.Out);
        Assert.Contains("+ Mention the weather.", diff.Out);
        Assert.Contains("  Say hello to {{name}}.", diff.Out);

        var show = await _cli.RunAsync("prompts", "show", v2.Id.ToString());
        Assert.Contains("Be brief.", show.Out);
        Assert.Contains("Mention the weather.", show.Out);

        var withoutSystem = await _cli.RunAsync("prompts", "add-version", v1.Id.ToString(), "--system", "", "--json");
        Assert.True(withoutSystem.ExitCode == 0, withoutSystem.ToString());
        var v3 = withoutSystem.Json<PromptDto>();
        Assert.Equal((3, v2.Template, null), (v3.Version, v3.Template, v3.SystemPrompt));

        var list = await _cli.RunAsync("prompts", "list", "--json");
        Assert.Contains(list.Json<List<PromptDto>>(), p => p.Id == v3.Id && p.IsLatest);
    }

    [Fact]
    public async Task DiffOfAFirstVersion_SaysThereIsNothingToCompare_AndExitsOne()
    {
        var run = await _cli.RunAsync("prompts", "diff", "1");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("no earlier version", run.Error);
    }

    [Fact]
    public async Task AnUnknownPrompt_ExitsOne_WithTheServersMessage()
    {
        var run = await _cli.RunAsync("prompts", "show", "424242");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Prompt 424242 was not found.", run.Error);
    }

    [Fact]
    public async Task Whoami_ShowsTheServer_TheMaskedKey_AndTheWorkspaceTheKeyBelongsTo()
    {
        var run = await _cli.RunAsync("whoami");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(server.BaseUrl.AbsoluteUri.TrimEnd('/'), run.Out);
        Assert.Contains("reachable", run.Out);
        Assert.Contains(server.ApiKey[..4] + "…" + server.ApiKey[^4..], run.Out);
        Assert.DoesNotContain(server.ApiKey, run.Out);
        Assert.Contains("Demo workspace", run.Out);
        Assert.Contains(LiveServer.OwnerEmail, run.Out);
    }

    [Fact]
    public async Task AWrongKey_ExitsOne_WithTheServersMessage()
    {
        _cli.Environment["PROMPTSTUDIO_API_KEY"] = server.ApiKey[..^4] + "0000";

        var run = await _cli.RunAsync("prompts", "list");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("The API key is not valid.", run.Error);
        Assert.Contains("promptstudio config set api-key", run.Error);
        Assert.DoesNotContain("   at ", run.All);
    }

    [Fact]
    public async Task AReadOnlyKey_CanListButNotCreate_AndTheRefusalIsTheServers()
    {
        _cli.Environment["PROMPTSTUDIO_API_KEY"] = await server.CreateApiKeyAsync("read");

        var list = await _cli.RunAsync("prompts", "list");
        var create = await _cli.RunAsync("prompts", "create", "--name", "Nope", "--template", "Hi {{x}}", "--json");

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Equal(1, create.ExitCode);
        var problem = create.JsonError();
        Assert.Equal(403, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("message").GetString()));
    }

    public void Dispose() => _cli.Dispose();
}
