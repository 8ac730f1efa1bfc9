using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using PromptStudio.Client;
using PromptStudio.Web.Tests.Infrastructure;

namespace PromptStudio.Web.Tests.Auth;

[Trait(Suites.Trait, Suites.Api)]
public sealed class WorkspaceIsolationTests(TeamFixture team) : IClassFixture<TeamFixture>
{
    public static TheoryData<string, string> RoutesOfWorkspaceA => new()
    {
        { "GET", "/api/prompts/1" },
        { "GET", "/api/prompts/1/versions" },
        { "POST", "/api/prompts/1/versions" },
        { "GET", "/api/datasets/1" },
        { "GET", "/api/datasets/1/items" },
        { "POST", "/api/datasets/1/items" },
        { "GET", "/api/optimization/{job}" },
        { "GET", "/api/optimization/{job}/results" },
        { "GET", "/api/optimization/{job}/events" },
        { "POST", "/api/optimization/{job}/pause" },
        { "POST", "/api/optimization/{job}/resume" },
        { "POST", "/api/optimization/{job}/cancel" },
        { "GET", "/api/workspaces/{a}" },
        { "GET", "/api/workspaces/{a}/members" },
        { "GET", "/api/workspaces/{a}/invitations" },
    };

    [Theory]
    [MemberData(nameof(RoutesOfWorkspaceA))]
    public async Task AMemberOfWorkspaceB_Gets404_OnEveryRouteOfWorkspaceA(string method, string route)
    {
        var response = await Send(team.Bob, method, route);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("Review sentiment", body);
        Assert.DoesNotContain("You label customer reviews", body);
    }

    [Fact]
    public async Task AMemberOfWorkspaceB_SeesOnlyWorkspaceBInLists()
    {
        Assert.Empty((await team.Bob.GetFromJsonAsync<List<PromptDto>>("/api/prompts"))!);
        Assert.Empty((await team.Bob.GetFromJsonAsync<List<DatasetDto>>("/api/datasets"))!);
        Assert.Empty((await team.Bob.GetFromJsonAsync<List<JobDto>>("/api/optimization"))!);
        var workspaces = (await team.Bob.GetFromJsonAsync<List<JsonElement>>("/api/workspaces"))!;
        Assert.Equal([team.WorkspaceB], workspaces.Select(w => w.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task NamingWorkspaceAInTheHeader_DoesNotLetBIn()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/prompts");
        request.Headers.Add("X-Workspace-Id", team.WorkspaceA.ToString());
        var response = await team.Bob.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task TheOwner_SwitchesWorkspaces_WithTheHeader()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/prompts");
        request.Headers.Add("X-Workspace-Id", team.WorkspaceB.ToString());
        var inB = (await (await team.Owner.SendAsync(request)).Content.ReadFromJsonAsync<List<PromptDto>>())!;
        Assert.Empty(inB);
        Assert.NotEmpty((await team.Owner.GetFromJsonAsync<List<PromptDto>>("/api/prompts"))!);
    }

    [Fact]
    public async Task AMemberOfWorkspaceB_CannotSubscribeToWorkspaceAJobs_OnTheHub()
    {
        var token = team.Bob.DefaultRequestHeaders.Authorization!.Parameter;
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(team.Factory.Server.BaseAddress, "hubs/optimization"), o =>
            {
                o.Transports = HttpTransportType.LongPolling;
                o.HttpMessageHandlerFactory = _ => team.Factory.Server.CreateHandler();
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            })
            .Build();
        await connection.StartAsync();
        var error = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync("Subscribe", team.JobInA.Id, 0L));
        Assert.Contains("not found", error.Message);
    }

    public static TheoryData<string, string, string> Writes => new()
    {
        { "POST", "/api/prompts", """{"name":"x","template":"{{a}}"}""" },
        { "POST", "/api/prompts/1/versions", """{"template":"{{product}} {{review}}"}""" },
        { "POST", "/api/datasets", """{"name":"x","items":[]}""" },
        { "POST", "/api/datasets/1/items", """{"items":[{"input":{"a":"b"}}]}""" },
        { "POST", "/api/optimization", """{"promptId":1,"datasetId":1,"config":{"dryRun":true}}""" },
        { "POST", "/api/optimization/{job}/pause", "" },
        { "POST", "/api/optimization/{job}/resume", "" },
        { "POST", "/api/optimization/{job}/cancel", "" },
        { "POST", "/api/keys", """{"name":"k","scope":"read"}""" },
        { "GET", "/api/keys", "" },
        { "GET", "/api/audit", "" },
        { "PUT", "/api/workspaces/{a}/limit", """{"iterationLimit":5}""" },
        { "POST", "/api/workspaces/{a}/invitations", """{"role":"viewer"}""" },
        { "POST", "/api/workspaces/{a}/members", """{"email":"x@test.local","role":"viewer"}""" },
    };

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task AViewer_Gets403_OnEveryWrite(string method, string route, string body)
    {
        var response = await Send(team.Viewer, method, route, body);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("viewer", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AViewer_CanRead()
    {
        Assert.NotEmpty((await team.Viewer.GetFromJsonAsync<List<PromptDto>>("/api/prompts"))!);
        Assert.Equal("completed", (await team.Viewer.GetJobAsync(team.JobInA.Id)).Status);
        var me = await team.Viewer.GetFromJsonAsync<JsonElement>("/api/me");
        Assert.Equal("viewer", me.GetProperty("role").GetString());
    }

    [Fact]
    public async Task TheAuditLog_RecordsWhoStartedWhichJob_ForAdmins()
    {
        var audit = (await team.Owner.GetFromJsonAsync<List<JsonElement>>("/api/audit"))!;
        Assert.Contains(audit, a => a.GetProperty("action").GetString() == "job.started"
            && a.GetProperty("target").GetString()!.Contains(team.JobInA.Id.ToString())
            && a.GetProperty("actor").GetString() == StudioFactory.OwnerEmail);
        Assert.Contains(audit, a => a.GetProperty("action").GetString() == "invitation.created");
    }

    private Task<HttpResponseMessage> Send(HttpClient client, string method, string route, string body = "")
    {
        var path = route.Replace("{job}", team.JobInA.Id.ToString()).Replace("{a}", team.WorkspaceA.ToString());
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method != "GET") request.Content = new StringContent(body.Length == 0 ? "{}" : body, System.Text.Encoding.UTF8, "application/json");
        return client.SendAsync(request);
    }
}
