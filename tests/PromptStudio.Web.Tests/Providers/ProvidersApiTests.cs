using System.Net;
using System.Net.Http.Json;
using System.Text;
using PromptStudio.Client;
using PromptStudio.Web.Tests.Infrastructure;
using Xunit;

namespace PromptStudio.Web.Tests.Providers;

[Trait(Suites.Trait, Suites.Api)]
public sealed class ProvidersApiTests : FakeServerTestBase
{
    protected override FakeReply DefaultReply(FakeCall call) => new("pong");

    [Fact]
    public async Task ApiKey_IsNeverReturned_OnlyItsLast4Characters()
    {
        var created = await App.CreateProviderAsync(Server);
        var client = App.CreateClient();

        var bodies = new[]
        {
            await client.GetStringAsync("/api/providers", Ct),
            await client.GetStringAsync($"/api/providers/{created.Id}", Ct),
            await (await client.PutAsJsonAsync($"/api/providers/{created.Id}",
                new SaveProviderRequest("fake", "openai-compatible", Server.OpenAIBaseUrl, null, [ProvidersTestApp.Model]), ProvidersTestApp.Json, Ct))
                .EnsureSuccessStatusCode().Content.ReadAsStringAsync(Ct),
        };

        Assert.True(created.HasApiKey);
        Assert.Equal("9f3a", created.ApiKeyLast4);
        Assert.All(bodies, body =>
        {
            Assert.DoesNotContain("SECRETKEYVALUE", body, StringComparison.Ordinal);
            Assert.Contains("\"apiKeyLast4\":\"9f3a\"", body, StringComparison.Ordinal);
        });
    }

    [Fact]
    [Trait(Suites.DatabaseTrait, Suites.SqliteOnly)]
    public async Task ApiKey_IsNotInTheDatabaseFileInPlainText_ButReachesTheProvider()
    {
        Assert.SkipWhen(TestDatabase.IsPostgres, "Reads the SQLite file itself.");
        await App.CreateProviderAsync(Server);
        (await App.CreateClient().PostAsync("/api/providers/1/test", null, Ct)).EnsureSuccessStatusCode();

        var bytes = Directory.GetFiles(Path.GetDirectoryName(App.DatabasePath)!, "studio.db*")
            .SelectMany(f => ReadShared(f)).ToArray();
        Assert.NotEmpty(bytes);
        Assert.DoesNotContain("SECRETKEYVALUE", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.DoesNotContain("SECRETKEYVALUE", Encoding.Unicode.GetString(bytes), StringComparison.Ordinal);
        Assert.Equal("Bearer " + ProvidersTestApp.ApiKey, Server.Calls.Single().Authorization);
    }

    private static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task TestConnection_ReportsASuccessfulCallInWords()
    {
        var provider = await App.CreateProviderAsync(Server);

        var result = await (await App.CreateClient().PostAsync($"/api/providers/{provider.Id}/test", null, Ct))
            .Content.ReadFromJsonAsync<ProviderTestResultDto>(ProvidersTestApp.Json, Ct);

        Assert.True(result!.Ok);
        Assert.Contains("answered \"pong\"", result.Message, StringComparison.Ordinal);
        Assert.Equal(ProvidersTestApp.Model, Server.Calls.Single().Model);
    }

    [Fact]
    public async Task TestConnection_ExplainsARefusedKey()
    {
        Server.Script = _ => FakeReply.Error(401, "Invalid API key.");
        var provider = await App.CreateProviderAsync(Server);

        var result = await (await App.CreateClient().PostAsync($"/api/providers/{provider.Id}/test", null, Ct))
            .Content.ReadFromJsonAsync<ProviderTestResultDto>(ProvidersTestApp.Json, Ct);

        Assert.False(result!.Ok);
        Assert.Equal(401, result.StatusCode);
        Assert.Contains("Invalid API key.", result.Message, StringComparison.Ordinal);
        Assert.Contains("Check the API key", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_RejectsInvalidFields_NamingEachOne()
    {
        var response = await App.CreateClient().PostAsJsonAsync("/api/providers",
            new SaveProviderRequest("", "gemini", "ftp://x", null, [], null, 0, -1), ProvidersTestApp.Json, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(Ct);
        foreach (var field in new[] { "\"name\"", "\"kind\"", "\"models\"", "\"maxConcurrency\"", "\"requestsPerMinute\"" })
            Assert.Contains(field, body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data", "link-local or cloud metadata")]
    [InlineData("http://[fd00:ec2::254]/", "metadata")]
    [InlineData("http://127.0.0.1:11434", "loopback")]
    [InlineData("http://localhost:11434", "loopback")]
    [InlineData("http://10.1.2.3/v1", "private network")]
    [InlineData("http://192.168.1.20/v1", "private network")]
    public async Task BlockedBaseUrls_AreRefused_WhenPrivateNetworksAreNotAllowed(string url, string reason)
    {
        await using var strict = new ProvidersTestApp(new() { ["Providers:AllowPrivateNetworks"] = "false" });

        var response = await strict.CreateClient().PostAsJsonAsync("/api/providers",
            new SaveProviderRequest("p", "ollama", url, null, ["m"]), ProvidersTestApp.Json, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("baseUrl", body, StringComparison.Ordinal);
        Assert.Contains(reason, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MetadataAddress_IsRefused_EvenWhenPrivateNetworksAreAllowed()
    {
        var response = await App.CreateClient().PostAsJsonAsync("/api/providers",
            new SaveProviderRequest("p", "openai-compatible", "http://169.254.169.254/v1", null, ["m"]), ProvidersTestApp.Json, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("metadata", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }
}
