using System.Net.Http.Json;
using System.Text.Json;
using PromptStudio.Client;
using PromptStudio.Web.Tests.Infrastructure;

namespace PromptStudio.Web.Tests.Auth;

/// <summary>
/// Two workspaces: A (the demo workspace, owned by the first account, with a job) and B (created by the
/// owner, whose admin "bob" belongs to B only), plus a viewer "vera" in A.
/// </summary>
public sealed class TeamFixture : IAsyncLifetime
{
    public StudioFactory Factory { get; } = new();
    public HttpClient Owner { get; private set; } = null!;
    public HttpClient Bob { get; private set; } = null!;
    public HttpClient Viewer { get; private set; } = null!;
    public Guid WorkspaceA { get; private set; }
    public Guid WorkspaceB { get; private set; }
    public JobDto JobInA { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Owner = await Factory.CreateOwnerClientAsync();
        var workspaces = (await Owner.GetFromJsonAsync<List<JsonElement>>("/api/workspaces"))!;
        WorkspaceA = workspaces.Single().GetProperty("id").GetGuid();

        var created = await Owner.PostAsJsonAsync("/api/workspaces", new { name = "Team B" });
        WorkspaceB = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Bob = await Factory.CreateUserClientAsync("bob@test.local", await InviteAsync(WorkspaceB, "admin"));
        Viewer = await Factory.CreateUserClientAsync("vera@test.local", await InviteAsync(WorkspaceA, "viewer"));

        JobInA = await Owner.StartJobAsync(config: Configs.Fast(maxIterations: 2));
        await Owner.WaitForStatusAsync(JobInA.Id, "completed");
    }

    public async Task<string> InviteAsync(Guid workspace, string role)
    {
        var response = await Owner.PostAsJsonAsync($"/api/workspaces/{workspace}/invitations", new { role });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }

    public async ValueTask DisposeAsync() => await Factory.DisposeAsync();
}
