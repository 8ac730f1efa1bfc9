using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace PromptStudio.E2E;

/// <summary>Signing in and out in the browser, and what a member of another workspace can see.</summary>
public sealed partial class TeamTests(StudioApp app) : BrowserTest(app)
{
    // This test signs in through the page itself.
    protected override string? StorageState => null;

    [Fact]
    public async Task SignIn_StartADryRunJob_SignOut_AndAUserOfAnotherWorkspaceDoesNotSeeIt()
    {
        await Page.GotoAsync("/jobs");
        await Expect(Page).ToHaveURLAsync(new Regex("/account/login"));
        await ByTestId("login-email").FillAsync(StudioApp.OwnerEmail);
        await ByTestId("login-password").FillAsync(StudioApp.Password);
        await ByTestId("login-submit").ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("/jobs$"));

        await OpenAsync("/jobs/new");
        await ByTestId("max-iterations").FillAsync("2");
        await Page.GetByText("Advanced tuning").ClickAsync();
        await ByTestId("simulated-latency").FillAsync("0");
        await ByTestId("start-job-button").ClickAsync();
        await Expect(Page).ToHaveURLAsync(JobUrl());
        var jobPath = new Uri(Page.Url).AbsolutePath;
        await Expect(ByTestId("job-state")).ToHaveTextAsync("completed", new() { Timeout = App.Settings.JobTimeoutMs });

        await OpenAsync("/jobs");
        await Expect(Page.Locator($"[data-job-id='{jobPath.Split('/')[^1]}']")).ToHaveCountAsync(1);
        await ByTestId("sign-out").ClickAsync();
        await Expect(Page).ToHaveURLAsync(new Regex("/account/login"));
        await Page.GotoAsync(jobPath);
        await Expect(Page).ToHaveURLAsync(new Regex("/account/login"));

        var bobState = await App.SignInAsync("bob@e2e.local", register: true, invitation: await InviteToNewWorkspaceAsync());
        await using var bob = await App.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = App.BaseUrl, StorageStatePath = bobState });
        var bobPage = await bob.NewPageAsync();
        await bobPage.GotoAsync("/jobs");
        await Expect(bobPage.Locator("main[data-interactive=true]")).ToHaveCountAsync(1);
        await Expect(bobPage.GetByTestId("workspace-switcher")).ToContainTextAsync("Team B");
        await Expect(bobPage.GetByTestId("jobs-grid")).ToBeVisibleAsync();
        await Expect(bobPage.Locator($"[data-job-id='{jobPath.Split('/')[^1]}']")).ToHaveCountAsync(0);
        await Expect(bobPage.GetByTestId("job-row")).ToHaveCountAsync(0);
        await bobPage.GotoAsync(jobPath);
        await Expect(bobPage.Locator("main[data-interactive=true]")).ToHaveCountAsync(1);
        await Expect(bobPage.GetByText("was not found")).ToBeVisibleAsync();
        await Expect(bobPage.GetByTestId("job-state")).ToHaveCountAsync(0);
    }

    /// <summary>The owner creates workspace "Team B" and an invitation to it, through the API with a bearer token.</summary>
    private async Task<string> InviteToNewWorkspaceAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri(App.BaseUrl) };
        var login = await http.PostAsJsonAsync("/api/auth/login", new { email = StudioApp.OwnerEmail, password = StudioApp.Password }, Ct);
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("accessToken").GetString();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var workspace = await (await http.PostAsJsonAsync("/api/workspaces", new { name = "Team B" }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var invitation = await http.PostAsJsonAsync($"/api/workspaces/{workspace.GetProperty("id").GetGuid()}/invitations", new { role = "member" }, Ct);
        return (await invitation.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("token").GetString()!;
    }

    [GeneratedRegex("/jobs/[0-9a-f-]{36}$")]
    private static partial Regex JobUrl();
}
