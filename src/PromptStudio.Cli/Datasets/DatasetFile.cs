using System.Globalization;
using System.Text.Json;
using CsvHelper;
using CsvHelper.Configuration;
using PromptStudio.Client;

namespace PromptStudio.Cli.Datasets;

/// <summary>One thing wrong with one row of a dataset file.</summary>
/// <param name="Row">Where: "item 3" in a JSON array, "line 4" in JSON lines or CSV.</param>
public sealed record RowProblem(string Row, string Field, string Message);

/// <summary>What a dataset file holds: its items (only when every row is valid), the problems otherwise.</summary>
public sealed record DatasetFileContent(IReadOnlyList<DatasetItemInput> Items, IReadOnlyList<RowProblem> Problems, string? Name, string? Description);

public enum DatasetFormat
{
    Json,
    Jsonl,
    Csv,
}

/// <summary>
/// Reads and writes dataset files in the shapes <c>datasets export</c> writes and <c>datasets import</c> reads:
/// JSON (an array of items, or an object with name, description and items), JSON lines (one item per line) and
/// CSV (a header; name, expectedOutput, labels and metadata.* columns; every other column is an input variable).
/// Every row is checked before anything is sent, so a file with a bad row imports nothing.
/// </summary>
public static class DatasetFile
{
    private static readonly string[] ItemFields = ["input", "expectedOutput", "name", "labels", "metadata"];
    private static readonly string[] ExpectedAliases = ["expectedOutput", "expected_output", "expected"];
    private const string InputPrefix = "input.";
    private const string MetadataPrefix = "metadata.";

    public static DatasetFormat FormatOf(string path, DatasetFormat? format)
    {
        if (format is { } f) return f;
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".json" => DatasetFormat.Json,
            ".jsonl" or ".ndjson" => DatasetFormat.Jsonl,
            ".csv" => DatasetFormat.Csv,
            var ext => throw new UsageException($"Cannot tell the format of '{Path.GetFileName(path)}' from its extension '{ext}': name it .json, .jsonl or .csv, or pass --format."),
        };
    }

    public static DatasetFileContent Read(string text, DatasetFormat format) => format switch
    {
        DatasetFormat.Json => ReadJson(text),
        DatasetFormat.Jsonl => ReadJsonLines(text),
        _ => ReadCsv(text),
    };

    private static DatasetFileContent ReadJson(string text)
    {
        var problems = new List<RowProblem>();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            return Failed(new RowProblem($"line {e.LineNumber + 1}", "", $"not valid JSON: {e.Message}"));
        }

        using (document)
        {
            var root = document.RootElement;
            string? name = null, description = null;
            JsonElement items;
            if (root.ValueKind == JsonValueKind.Array)
            {
                items = root;
            }
            else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("items", out items) && items.ValueKind == JsonValueKind.Array)
            {
                name = root.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
                description = root.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            }
            else
            {
                return Failed(new RowProblem("file", "", "expected an array of items, or an object with an \"items\" array."));
            }

            var result = new List<DatasetItemInput>();
            var index = 0;
            foreach (var element in items.EnumerateArray())
            {
                index++;
                if (ParseItem(element, $"item {index}", problems) is { } item) result.Add(item);
            }
            return Done(result, problems, name, description);
        }
    }

    private static DatasetFileContent ReadJsonLines(string text)
    {
        var problems = new List<RowProblem>();
        var items = new List<DatasetItemInput>();
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            var row = $"line {i + 1}";
            try
            {
                using var document = JsonDocument.Parse(lines[i]);
                if (ParseItem(document.RootElement, row, problems) is { } item) items.Add(item);
            }
            catch (JsonException e)
            {
                problems.Add(new RowProblem(row, "", $"not valid JSON: {e.Message}"));
            }
        }
        return Done(items, problems, null, null);
    }

    private static DatasetItemInput? ParseItem(JsonElement element, string row, List<RowProblem> problems)
    {
        var before = problems.Count;
        void Problem(string field, string message) => problems.Add(new RowProblem(row, field, message));

        if (element.ValueKind != JsonValueKind.Object)
        {
            Problem("", $"an item must be a JSON object (got {Kind(element)}).");
            return null;
        }

        Dictionary<string, JsonElement>? input = null;
        string? expected = null, name = null;
        List<string>? labels = null;
        Dictionary<string, JsonElement>? metadata = null;
        foreach (var property in element.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "input":
                    input = Scalars(value, "input", Problem);
                    break;
                case var alias when ExpectedAliases.Contains(alias):
                    if (value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
                        expected = value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
                    else if (value.ValueKind != JsonValueKind.Null)
                        Problem(alias, $"must be a string (got {Kind(value)}).");
                    break;
                case "name":
                    if (value.ValueKind == JsonValueKind.String) name = value.GetString();
                    else if (value.ValueKind != JsonValueKind.Null) Problem("name", $"must be a string (got {Kind(value)}).");
                    break;
                case "labels":
                    if (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(l => l.ValueKind == JsonValueKind.String))
                        labels = value.EnumerateArray().Select(l => l.GetString()!).ToList();
                    else if (value.ValueKind != JsonValueKind.Null)
                        Problem("labels", "must be an array of strings.");
                    break;
                case "metadata":
                    if (value.ValueKind != JsonValueKind.Null) metadata = Scalars(value, "metadata", Problem, allowEmpty: true);
                    break;
                case "id":
                    // Exported files carry the server's ids; a new import gets new ones.
                    break;
                default:
                    Problem(property.Name, $"unknown field (an item has {string.Join(", ", ItemFields)}).");
                    break;
            }
        }
        if (input is null && !element.TryGetProperty("input", out _))
            Problem("input", "is required: an object with the value of each template variable.");
        return problems.Count == before ? new DatasetItemInput(input, expected, name, labels, metadata) : null;
    }

    /// <summary>An object whose values are strings, numbers or booleans (the shape of input and metadata).</summary>
    private static Dictionary<string, JsonElement>? Scalars(JsonElement value, string field, Action<string, string> problem, bool allowEmpty = false)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            problem(field, $"must be an object (got {Kind(value)}).");
            return null;
        }
        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            if (property.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
                result[property.Name] = property.Value.Clone();
            else
                problem($"{field}.{property.Name}", $"must be a string, number or boolean (got {Kind(property.Value)}).");
        }
        if (result.Count == 0 && !allowEmpty && !value.EnumerateObject().Any())
            problem(field, "must hold at least one variable value.");
        return result;
    }

    private static DatasetFileContent ReadCsv(string text)
    {
        var problems = new List<RowProblem>();
        var items = new List<DatasetItemInput>();
        var badFields = new List<string>();
        var configuration = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            BadDataFound = args => badFields.Add(args.Field),
            IgnoreBlankLines = true,
        };
        using var parser = new CsvParser(new StringReader(text), configuration);
        if (!parser.Read()) return Failed(new RowProblem("file", "", "the file is empty: expected a header row and one row per item."));

        var header = parser.Record!.Select(h => h.Trim()).ToArray();
        var columns = header.Select(Column).ToArray();
        var duplicates = header.GroupBy(h => h, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        foreach (var d in duplicates) problems.Add(new RowProblem("line 1", d, "the column appears more than once in the header."));
        foreach (var (h, i) in header.Select((h, i) => (h, i)).Where(c => c.h.Length == 0)) problems.Add(new RowProblem("line 1", $"column {i + 1}", "the column has no name."));
        if (!columns.Any(c => c.Kind == ColumnKind.Input))
            problems.Add(new RowProblem("line 1", "", "no input column: every column other than name, expectedOutput, labels and metadata.* is an input variable."));
        if (problems.Count > 0) return Done(items, problems, null, null);

        var lastLine = parser.RawRow;
        while (parser.Read())
        {
            var row = $"line {lastLine + 1}";
            lastLine = parser.RawRow;
            var record = parser.Record!;
            var before = problems.Count;
            if (badFields.Count > 0)
            {
                problems.Add(new RowProblem(row, "", $"badly quoted field: {Format(badFields[0])}"));
                badFields.Clear();
                continue;
            }
            if (record.Length != header.Length)
            {
                problems.Add(new RowProblem(row, "", $"has {record.Length} fields where the header has {header.Length}."));
                continue;
            }

            var input = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            string? name = null, expected = null;
            List<string>? labels = null;
            for (var i = 0; i < record.Length; i++)
            {
                var (kind, key) = columns[i];
                var value = record[i];
                switch (kind)
                {
                    case ColumnKind.Input: input[key] = JsonSerializer.SerializeToElement(value); break;
                    case ColumnKind.Metadata: if (value.Length > 0) metadata[key] = JsonSerializer.SerializeToElement(value); break;
                    case ColumnKind.Name: name = value.Length > 0 ? value : null; break;
                    case ColumnKind.Expected: expected = value.Length > 0 ? value : null; break;
                    case ColumnKind.Labels: labels = value.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList(); break;
                    default: break;
                }
            }
            if (input.Values.All(v => v.GetString()!.Length == 0))
                problems.Add(new RowProblem(row, "input", "every input column is empty."));
            if (problems.Count == before) items.Add(new DatasetItemInput(input, expected, name, labels, metadata.Count > 0 ? metadata : null));
        }
        return Done(items, problems, null, null);

        static string Format(string field) => field.Length > 40 ? field[..40] + "…" : field;
    }

    private enum ColumnKind
    {
        Input,
        Name,
        Expected,
        Labels,
        Metadata,
        Ignored,
    }

    private static (ColumnKind Kind, string Key) Column(string header) => header switch
    {
        "name" => (ColumnKind.Name, header),
        "labels" => (ColumnKind.Labels, header),
        "id" => (ColumnKind.Ignored, header),
        _ when ExpectedAliases.Contains(header) => (ColumnKind.Expected, header),
        _ when header.StartsWith(MetadataPrefix, StringComparison.Ordinal) => (ColumnKind.Metadata, header[MetadataPrefix.Length..]),
        _ when header.StartsWith(InputPrefix, StringComparison.Ordinal) => (ColumnKind.Input, header[InputPrefix.Length..]),
        _ => (ColumnKind.Input, header),
    };

    private static DatasetFileContent Done(List<DatasetItemInput> items, List<RowProblem> problems, string? name, string? description)
    {
        if (problems.Count == 0 && items.Count == 0) problems.Add(new RowProblem("file", "", "the file holds no items."));
        return new DatasetFileContent(problems.Count == 0 ? items : [], problems, name, description);
    }

    private static DatasetFileContent Failed(RowProblem problem) => new([], [problem], null, null);

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    // ---- Export ----

    /// <summary>An item as files hold it: only the fields it has.</summary>
    public static Dictionary<string, object> ToFileItem(DatasetItemDto item)
    {
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        if (item.Name is not null) result["name"] = item.Name;
        result["input"] = item.Input;
        if (item.ExpectedOutput is not null) result["expectedOutput"] = item.ExpectedOutput;
        if (item.Labels.Count > 0) result["labels"] = item.Labels;
        if (item.Metadata.Count > 0) result["metadata"] = item.Metadata;
        return result;
    }

    public static void WriteCsv(TextWriter writer, IReadOnlyList<DatasetItemDto> items)
    {
        var variables = items.SelectMany(i => i.Input.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var metadataKeys = items.SelectMany(i => i.Metadata.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        using var csv = new CsvWriter(writer, CultureInfo.InvariantCulture, leaveOpen: true);
        // A variable whose name would read as another column keeps an explicit input. prefix.
        foreach (var column in (string[])["name", "expectedOutput", "labels"]) csv.WriteField(column);
        foreach (var v in variables) csv.WriteField(Column(v).Kind == ColumnKind.Input && !v.StartsWith(InputPrefix, StringComparison.Ordinal) ? v : InputPrefix + v);
        foreach (var m in metadataKeys) csv.WriteField(MetadataPrefix + m);
        csv.NextRecord();
        foreach (var item in items)
        {
            csv.WriteField(item.Name ?? "");
            csv.WriteField(item.ExpectedOutput ?? "");
            csv.WriteField(string.Join(';', item.Labels));
            foreach (var v in variables) csv.WriteField(item.Input.GetValueOrDefault(v) ?? "");
            foreach (var m in metadataKeys) csv.WriteField(item.Metadata.GetValueOrDefault(m) ?? "");
            csv.NextRecord();
        }
    }
}
