using Bunit;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.EntityFrameworkCore;
using Microsoft.JSInterop;
using PromptStudio.Web.Datasets;
using PromptStudio.Web.Components.Pages.Datasets;
using Xunit;

namespace PromptStudio.Web.Tests.Components;

public sealed class DatasetPageTests : StudioComponentTest
{
    private const string CsvWithTwoBadRows =
        "name,product,review,expectedOutput,labels\n" +
        "good,lamp,Bright and cheap.,positive,short;clear\n" +
        "too-many,lamp,Dim,negative,x,extra\n" +
        "empty,,,neutral,\n";

    [Fact]
    public async Task ImportPreview_ShowsEachRowsError_AndSavesNothing()
    {
        var (_, datasetId) = await DemoIdsAsync();
        var before = await ItemCountAsync(datasetId);
        var (page, _) = RenderPage<DatasetPage>(p => p.Add(x => x.Id, datasetId));
        page.WaitForElement("[data-testid=import-choose-button]", Wait);

        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText(CsvWithTwoBadRows, "reviews.csv"));

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=import-error]").Count), Wait);
        var errors = page.FindAll("[data-testid=import-error]").ToDictionary(r => r.GetAttribute("data-row")!, r => r.TextContent);
        Assert.Contains("Row 2 has 6 fields, but the header has 5.", errors["2"]);
        Assert.Contains("Row 3 has no input values.", errors["3"]);
        Assert.Contains("3 rows read, 1 ready to import, 2 with errors", page.Find("[data-testid=import-summary]").TextContent);
        Assert.True(page.Find("[data-testid=import-button]").HasAttribute("disabled"));
        Assert.Equal(before, await ItemCountAsync(datasetId));
    }

    [Fact]
    public async Task ImportPreview_ImportsTheGoodRows_WhenTheBadOnesAreSkipped()
    {
        var (_, datasetId) = await DemoIdsAsync();
        var before = await ItemCountAsync(datasetId);
        var (page, _) = RenderPage<DatasetPage>(p => p.Add(x => x.Id, datasetId));
        page.WaitForElement("[data-testid=import-choose-button]", Wait);
        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText(CsvWithTwoBadRows, "reviews.csv"));
        page.WaitForElement("[data-testid=import-skip-invalid]", Wait);

        page.Find("input[data-testid=import-skip-invalid]").Change(true);
        page.WaitForAssertion(() => Assert.False(page.Find("[data-testid=import-button]").HasAttribute("disabled")), Wait);
        page.Find("[data-testid=import-button]").Click();

        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=import-preview]")), Wait);
        Assert.Equal(before + 1, await ItemCountAsync(datasetId));
        await using var db = await Db.CreateDbContextAsync(Ct);
        var item = await db.DatasetItems.OrderBy(i => i.Id).LastAsync(i => i.DatasetId == datasetId, Ct);
        Assert.Equal("good", item.Name);
        Assert.Equal("Bright and cheap.", item.Input["review"]);
        Assert.Equal(["short", "clear"], item.Labels);
        page.WaitForAssertion(() => Assert.Contains($"{before + 1} items", page.Find("[data-testid=item-count]").TextContent), Wait);
    }

    [Fact]
    public async Task EditingAnItem_SavesTheNewValues()
    {
        var (_, datasetId) = await DemoIdsAsync();
        var (page, _) = RenderPage<DatasetPage>(p => p.Add(x => x.Id, datasetId));
        page.WaitForElement("[data-testid=item-row]", Wait);
        var itemId = int.Parse(page.Find("[data-testid=item-row]").GetAttribute("data-item-id")!);

        page.Find($"[aria-label='Edit item {itemId}']").Click();
        page.WaitForElement("[data-testid=item-editor]", Wait);
        page.Find("textarea[data-testid=item-expected]").Change("mixed");
        await page.Find("[data-testid=save-item-button]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=item-editor]")), Wait);

        await using var db = await Db.CreateDbContextAsync(Ct);
        Assert.Equal("mixed", (await db.DatasetItems.SingleAsync(i => i.Id == itemId, Ct)).ExpectedOutput);
    }

    [Fact]
    public async Task ExportAsCsv_HandsTheBrowserAFileThatImportsBackToTheSameItems()
    {
        var (_, datasetId) = await DemoIdsAsync();
        // The page disposes the stream once the browser has it, so the file is read while the call is made.
        string? text = null;
        var download = JSInterop.SetupVoid("promptStudio.download", call =>
        {
            text ??= new StreamReader(((DotNetStreamReference)call.Arguments[2]!).Stream).ReadToEnd();
            return true;
        });
        download.SetVoidResult();
        var (page, _) = RenderPage<DatasetPage>(p => p.Add(x => x.Id, datasetId));
        page.WaitForElement("[data-testid=item-row]", Wait);

        await page.Find("[data-testid=export-csv]").ClickAsync(new());

        var invocation = Assert.Single(download.Invocations);
        Assert.Equal("Product-reviews.csv", invocation.Arguments[0]);
        Assert.Equal("text/csv", invocation.Arguments[1]);
        Assert.NotNull(text);
        var parsed = DatasetFiles.Parse(text, DatasetFileFormat.Csv);
        Assert.Empty(parsed.Errors);
        Assert.Equal(await ItemCountAsync(datasetId), parsed.Rows.Count);
        Assert.Equal("review-01", parsed.Rows[0].Item.Name);
    }

    private async Task<int> ItemCountAsync(int datasetId)
    {
        await using var db = await Db.CreateDbContextAsync(Ct);
        return await db.DatasetItems.CountAsync(i => i.DatasetId == datasetId, Ct);
    }
}
