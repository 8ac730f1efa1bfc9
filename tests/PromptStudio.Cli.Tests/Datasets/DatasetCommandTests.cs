using System.Text.Json;
using PromptStudio.Cli.Tests.Infrastructure;
using PromptStudio.Client;

namespace PromptStudio.Cli.Tests.Datasets;

public sealed class DatasetCommandTests(LiveServer server) : IClassFixture<LiveServer>, IDisposable
{
    private readonly CliRunner _cli = new(server);
    private readonly PromptStudioClient _client = server.Client();
    private readonly string _folder = Directory.CreateTempSubdirectory("promptstudio-cli-files-").FullName;

    private string File(string name, string content)
    {
        var path = Path.Combine(_folder, name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task ImportOfAMalformedJsonLinesFile_ListsTheRowsAtFault_AndImportsNothing()
    {
        var before = await _client.ListDatasetsAsync();
        var path = File("bad.jsonl", """
            {"input":{"product":"kettle","review":"Boils fast."},"expectedOutput":"positive"}
            {"input":{"product":"lamp"},"expectedOutput":["negative"]}
            {"expectedOutput":"neutral"}
            not json at all
            {"input":{"product":"mug","review":{"text":"nested"}},"expectedOutput":"neutral","colour":"red"}
            """);

        var run = await _cli.RunAsync("datasets", "import", path, "--name", "Bad import");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("nothing was imported", run.Error);
        Assert.Contains("line 2", run.Error);
        Assert.Contains("must be a string (got an array)", run.Error);
        Assert.Contains("line 3", run.Error);
        Assert.Contains("is required", run.Error);
        Assert.Contains("line 4", run.Error);
        Assert.Contains("not valid JSON", run.Error);
        Assert.Contains("line 5", run.Error);
        Assert.Contains("input.review", run.Error);
        Assert.Contains("colour", run.Error);
        Assert.DoesNotContain("line 1 ", run.Error);
        Assert.Equal(before.Count, (await _client.ListDatasetsAsync()).Count);
    }

    [Fact]
    public async Task ImportOfAMalformedCsvIntoADataset_ListsTheRowsAtFault_AndLeavesTheItemCountAsItWas()
    {
        var itemsBefore = (await _client.GetDatasetAsync(1)).ItemCount;
        var path = File("bad.csv", """
            product,review,expectedOutput,labels
            kettle,Boils fast.,positive,home
            lamp,Flickers,negative
            mug,"Nice, sturdy",positive,kitchen;gift
            ,,neutral,
            """);

        var run = await _cli.RunAsync("datasets", "import", path, "--into", "1");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("line 3", run.Error);
        Assert.Contains("has 3 fields where the header has 4", run.Error);
        Assert.Contains("line 5", run.Error);
        Assert.Contains("every input column is empty", run.Error);
        Assert.Equal(itemsBefore, (await _client.GetDatasetAsync(1)).ItemCount);
        Assert.Equal(itemsBefore, (await _client.GetDatasetItemsAsync(1, 0, 1000)).Total);
    }

    [Fact]
    public async Task ImportOfAMalformedFile_InJsonMode_ReportsTheRowsAsJson()
    {
        var path = File("bad.json", """[{"input":{"product":"kettle","review":"ok"}}, {"input":{}}, 42]""");

        var run = await _cli.RunAsync("datasets", "import", path, "--json");

        Assert.Equal(1, run.ExitCode);
        var rows = run.JsonError().GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("row").GetString()).ToList();
        Assert.Equal(["item 2", "item 3"], rows);
    }

    [Fact]
    public async Task ImportOfAValidCsv_CreatesTheDataset_AndItsExportImportsBackTheSame()
    {
        var path = File("reviews.csv", """
            name,product,review,expectedOutput,labels,metadata.source
            first,kettle,Boils fast.,positive,home,shop
            second,lamp,"Flickers, then dies",negative,home;broken,
            third,mug,"A ""fine"" mug",neutral,,forum
            """);

        var imported = await _cli.RunAsync("datasets", "import", path, "--description", "From CSV", "--json");
        Assert.True(imported.ExitCode == 0, imported.ToString());
        var dataset = System.Text.Json.JsonDocument.Parse(imported.Out).RootElement.GetProperty("dataset").Deserialize<DatasetDto>(PromptStudioClient.Json)!;
        Assert.Equal(("reviews", 3), (dataset.Name, dataset.ItemCount));
        Assert.Equal(["product", "review"], dataset.Variables);
        var items = (await _client.GetDatasetItemsAsync(dataset.Id)).Items;
        Assert.Equal("Flickers, then dies", items[1].Input["review"]);
        Assert.Equal(["home", "broken"], items[1].Labels);
        Assert.Equal("A \"fine\" mug", items[2].Input["review"]);
        Assert.Equal("forum", items[2].Metadata["source"]);

        foreach (var format in new[] { "json", "jsonl", "csv" })
        {
            var exportPath = Path.Combine(_folder, $"export.{format}");
            var exported = await _cli.RunAsync("datasets", "export", dataset.Id.ToString(), "--output", exportPath);
            Assert.True(exported.ExitCode == 0, exported.ToString());

            var again = await _cli.RunAsync("datasets", "import", exportPath, "--name", $"round trip {format}", "--json");
            Assert.True(again.ExitCode == 0, again.ToString());
            var copy = System.Text.Json.JsonDocument.Parse(again.Out).RootElement.GetProperty("dataset").GetProperty("id").GetInt32();
            var copied = (await _client.GetDatasetItemsAsync(copy)).Items;
            Assert.Equal(items.Select(Comparable), copied.Select(Comparable));
        }
    }

    [Fact]
    public async Task ExportToStdout_WritesJsonThatListAndShowAgreeWith()
    {
        var export = await _cli.RunAsync("datasets", "export", "1");
        Assert.True(export.ExitCode == 0, export.ToString());
        using var document = System.Text.Json.JsonDocument.Parse(export.Out);
        var count = document.RootElement.GetProperty("items").GetArrayLength();

        var list = await _cli.RunAsync("datasets", "list", "--json");
        Assert.Equal(count, list.Json<List<DatasetDto>>().Single(d => d.Id == 1).ItemCount);

        var show = await _cli.RunAsync("datasets", "show", "1", "--limit", "2");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains($"{count} items", show.Out);
        Assert.Contains($"2 of {count} items shown", show.Out);
    }

    private static string Comparable(DatasetItemDto item) =>
        $"{item.Name}|{string.Join(",", item.Input.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"))}|{item.ExpectedOutput}|{string.Join(";", item.Labels)}|" +
        string.Join(",", item.Metadata.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"));

    public void Dispose()
    {
        _cli.Dispose();
        _client.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
