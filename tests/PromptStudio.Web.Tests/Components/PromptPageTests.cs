using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PromptStudio.Client;
using PromptStudio.Web.Components.Pages.Prompts;
using PromptStudio.Web.Prompts;
using PromptStudio.Web.Workspaces;
using Xunit;

namespace PromptStudio.Web.Tests.Components;

public sealed class PromptPageTests : StudioComponentTest
{
    [Fact]
    public async Task EditAsNewVersion_SavesTheNextVersion_AndOpensIt()
    {
        var (promptId, _) = await DemoIdsAsync();
        var (page, _) = RenderPage<PromptPage>(p => p.Add(x => x.Id, promptId));
        page.WaitForElement("[data-testid=edit-prompt-button]", Wait);

        page.Find("[data-testid=edit-prompt-button]").Click();
        page.Find("textarea[data-testid=prompt-template]").Change("Label the review of {{product}}: {{review}}");
        await page.Find("[data-testid=save-prompt-button]").ClickAsync(new());

        await using var db = await Db.CreateDbContextAsync(Ct);
        var latest = await db.Prompts.SingleAsync(p => p.IsLatest && p.Name == "Review sentiment", Ct);
        Assert.Equal(2, latest.Version);
        Assert.Equal("Label the review of {{product}}: {{review}}", latest.Template);
        Assert.EndsWith($"/prompts/{latest.Id}", Services.GetRequiredService<NavigationManager>().Uri);
    }

    [Fact]
    public async Task EditAsNewVersion_ShowsTheApiMessage_ForAnEmptyTemplate()
    {
        var (promptId, _) = await DemoIdsAsync();
        var (page, _) = RenderPage<PromptPage>(p => p.Add(x => x.Id, promptId));
        page.WaitForElement("[data-testid=edit-prompt-button]", Wait);

        page.Find("[data-testid=edit-prompt-button]").Click();
        page.Find("textarea[data-testid=prompt-template]").Change("");
        await page.Find("[data-testid=save-prompt-button]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Contains("template is required.", page.Find("[data-testid=prompt-editor]").TextContent), Wait);
        await using var db = await Db.CreateDbContextAsync(Ct);
        Assert.Equal(1, await db.Prompts.CountAsync(Ct));
    }

    [Fact]
    public async Task AVersionPage_DiffsItAgainstThePreviousVersion()
    {
        var (promptId, _) = await DemoIdsAsync();
        var v2 = await Services.GetRequiredService<PromptService>().AddVersionAsync(Owner, promptId,
            new AddPromptVersionRequest("Be brief.\nWhat is the sentiment of this review of {{product}}?\n\nReview: {{review}}\n\nSentiment (positive, negative or neutral):",
                "You label customer reviews for the {{product}} team."), Ct);

        var (page, _) = RenderPage<PromptPage>(p => p.Add(x => x.Id, v2.Id));

        page.WaitForAssertion(() =>
        {
            var diff = page.Find("[data-testid=version-diff-text]");
            Assert.Equal(["+ Be brief."], diff.QuerySelectorAll(".diff-inserted").Select(l => l.TextContent.Trim()));
            Assert.Empty(diff.QuerySelectorAll(".diff-deleted"));
        }, Wait);
        Assert.Equal(2, page.FindAll("[data-testid=version-history] tbody tr").Count);
        Assert.Equal($"/jobs/new?promptId={v2.Id}", page.Find("[data-testid=optimize-button]").GetAttribute("href"));
    }
}
