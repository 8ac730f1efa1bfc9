using Bunit;
using PromptStudio.Web.Components.Pages;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Tests.Components;

/// <summary>Providers, limits, members, invitations, keys and the audit log are admin-only: run once per role below admin.</summary>
public abstract class SettingsForANonAdminTests : StudioComponentTest
{
    [Fact]
    public void ANonAdmin_SeesUsage_ButNoManagementControls()
    {
        var (page, _) = RenderPage<Settings>();
        page.WaitForElement("[data-testid=usage-text]");
        Assert.Contains("of 1000", page.Find("[data-testid=usage-text]").TextContent);
        Assert.Empty(page.FindAll("[data-testid=provider-add]"));
        Assert.Empty(page.FindAll("[data-testid=limit-save]"));
        Assert.Empty(page.FindAll("[data-testid=invite-create]"));
        Assert.Empty(page.FindAll("[data-testid=api-keys-panel]"));
        Assert.Empty(page.FindAll("[data-testid=audit-panel]"));
        Assert.Empty(page.FindAll("[data-testid=member-role]"));
    }
}

public sealed class SettingsForAViewerTests : SettingsForANonAdminTests
{
    protected override WorkspaceRole WorkspaceRole => WorkspaceRole.Viewer;
}

public sealed class SettingsForAMemberTests : SettingsForANonAdminTests
{
    protected override WorkspaceRole WorkspaceRole => WorkspaceRole.Member;
}

public sealed class SettingsForAnAdminTests : StudioComponentTest
{
    protected override WorkspaceRole WorkspaceRole => WorkspaceRole.Admin;

    [Fact]
    public void AnAdmin_CreatesAnApiKey_ThatIsShownOnce()
    {
        var (page, _) = RenderPage<Settings>();
        page.WaitForElement("[data-testid=api-key-create]");
        var name = page.Find("[data-testid=api-key-name]");
        (name.TagName == "INPUT" ? name : name.QuerySelector("input")!).Change("ci pipeline");
        page.Find("[data-testid=api-key-create]").Click();

        page.WaitForElement("[data-testid=api-key-value]");
        var key = page.Find("[data-testid=api-key-value]").TextContent;
        Assert.StartsWith("ps_", key);
        var row = Assert.Single(page.FindAll("[data-testid=api-key-row]"));
        Assert.Contains("ci pipeline", row.TextContent);
        Assert.DoesNotContain(key, row.TextContent);
        Assert.NotEmpty(page.FindAll("[data-testid=invite-create]"));
    }
}
