using System.Text.Json;
using PromptStudio.Client;
using PromptStudio.Web.Datasets;
using Xunit;

namespace PromptStudio.Web.Tests.Datasets;

public sealed class DatasetFilesTests
{
    [Fact]
    public void Csv_ReportsEachBadRow_WithItsNumberAndReason()
    {
        const string csv = "product,review,expectedOutput\n" +
            "lamp,Bright,positive\n" +
            "lamp,Dim\n" +
            ",,neutral\n" +
            "pen,\"Writes \"\"well\"\"\",positive\n";

        var result = DatasetFiles.Parse(csv, DatasetFileFormat.Csv);

        Assert.Equal([1, 4], result.Rows.Select(r => r.Row));
        Assert.Equal("Writes \"well\"", Text(result.Rows[1].Item.Input!["review"]));
        Assert.Equal(
            [new DatasetFileError(2, "Row 2 has 2 fields, but the header has 3."), new DatasetFileError(3, "Row 3 has no input values.")],
            result.Errors);
        Assert.Equal(4, result.RowCount);
    }

    [Fact]
    public void Csv_ReadsReservedColumns_AndAnInputObjectColumn()
    {
        const string csv = "Name,input,expected_output,labels,metadata.source\n" +
            "first,\"{\"\"city\"\": \"\"Oslo\"\", \"\"days\"\": 3}\",Norway,geo; easy,wiki\n";

        var row = Assert.Single(DatasetFiles.Parse(csv, DatasetFileFormat.Csv).Rows).Item;

        Assert.Equal("first", row.Name);
        Assert.Equal("Oslo", Text(row.Input!["city"]));
        Assert.Equal("3", Text(row.Input["days"]));
        Assert.Equal("Norway", row.ExpectedOutput);
        Assert.Equal(["geo", "easy"], row.Labels);
        Assert.Equal("wiki", Text(row.Metadata!["source"]));
    }

    [Fact]
    public void Json_ReportsRowsThatAreNotItems_AndKeepsTheRest()
    {
        const string json = """
            [
              { "input": { "q": "2+2" }, "expectedOutput": "4" },
              "just text",
              { "q": { "nested": true } },
              { "input": { "q": "3+3" }, "extra": 1 },
              { "q": "1+1", "expectedOutput": 2 },
              { "q": "5+5", "labels": ["math"], },
            ]
            """;

        var result = DatasetFiles.Parse(json, DatasetFileFormat.Json);

        Assert.Equal([1, 6], result.Rows.Select(r => r.Row));
        Assert.Equal(["math"], result.Rows[1].Item.Labels);
        Assert.Equal([2, 3, 4, 5], result.Errors.Select(e => e.Row));
        Assert.Equal("Row 2 must be a JSON object, not a string.", result.Errors[0].Message);
        Assert.Equal("Row 3: the value of \"q\" must be a string, number or boolean.", result.Errors[1].Message);
        Assert.Equal("Row 4: unknown field \"extra\": with an \"input\" object, variables go inside it.", result.Errors[2].Message);
        Assert.Equal("Row 5: \"expectedOutput\" must be a string.", result.Errors[3].Message);
    }

    [Fact]
    public void Json_AcceptsTheApiShape_WithAnItemsArray()
    {
        var result = DatasetFiles.Parse("""{ "items": [ { "input": { "q": "hi" } } ] }""", DatasetFileFormat.Json);

        Assert.Empty(result.Errors);
        Assert.Equal("hi", Text(Assert.Single(result.Rows).Item.Input!["q"]));
    }

    [Theory]
    [InlineData(DatasetFileFormat.Json, "{ not json")]
    [InlineData(DatasetFileFormat.Json, "{\"q\": 1}")]
    [InlineData(DatasetFileFormat.Csv, "")]
    public void AFileThatCannotBeRead_IsOneErrorForTheWholeFile(DatasetFileFormat format, string text)
    {
        var result = DatasetFiles.Parse(text, format);

        Assert.Empty(result.Rows);
        Assert.Equal(0, Assert.Single(result.Errors).Row);
        Assert.True(result.HasFileError);
    }

    [Fact]
    public void Jsonl_ReportsTheLineOfInvalidJson_AndSkipsBlankLines()
    {
        const string jsonl = "{\"q\":\"a\"}\n\n{\"q\":\n{\"q\":\"c\",\"expectedOutput\":\"C\"}\n";

        var result = DatasetFiles.Parse(jsonl, DatasetFileFormat.Jsonl);

        Assert.Equal([1, 4], result.Rows.Select(r => r.Row));
        Assert.Equal(3, Assert.Single(result.Errors).Row);
        Assert.StartsWith("Line 3 is not valid JSON", result.Errors[0].Message);
    }

    [Theory]
    [InlineData(DatasetFileFormat.Json)]
    [InlineData(DatasetFileFormat.Jsonl)]
    [InlineData(DatasetFileFormat.Csv)]
    public void EveryFormat_ReadsBackTheItemsItWrote(DatasetFileFormat format)
    {
        DatasetItemDto[] items =
        [
            new(1, "quote", new Dictionary<string, string> { ["review"] = "Line one,\n\"line\" two", ["name"] = "a variable called name" },
                "positive", ["a", "b"], new Dictionary<string, string> { ["source"] = "shop" }),
            new(2, null, new Dictionary<string, string> { ["review"] = "Plain" }, null, [], new Dictionary<string, string>()),
        ];

        var text = DatasetFiles.Write(items, format);
        var result = DatasetFiles.Parse(text, format);

        Assert.Empty(result.Errors);
        Assert.Equal(items.Length, result.Rows.Count);
        foreach (var (item, row) in items.Zip(result.Rows.Select(r => r.Item)))
        {
            Assert.Equal(item.Name, row.Name);
            Assert.Equal(item.Input.OrderBy(kv => kv.Key), row.Input!.ToDictionary(kv => kv.Key, kv => Text(kv.Value)).OrderBy(kv => kv.Key));
            Assert.Equal(item.ExpectedOutput, row.ExpectedOutput);
            Assert.Equal(item.Labels, row.Labels ?? []);
            Assert.Equal(item.Metadata.OrderBy(kv => kv.Key), (row.Metadata ?? []).ToDictionary(kv => kv.Key, kv => Text(kv.Value)).OrderBy(kv => kv.Key));
        }
    }

    [Theory]
    [InlineData("items.json", DatasetFileFormat.Json)]
    [InlineData("items.JSONL", DatasetFileFormat.Jsonl)]
    [InlineData("items.ndjson", DatasetFileFormat.Jsonl)]
    [InlineData("items.csv", DatasetFileFormat.Csv)]
    [InlineData("items.xlsx", null)]
    public void TheFormat_FollowsTheFileExtension(string fileName, DatasetFileFormat? expected) =>
        Assert.Equal(expected, DatasetFiles.FormatOf(fileName));

    private static string Text(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
}
