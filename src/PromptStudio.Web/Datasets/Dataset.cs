using PromptStudio.Core.Optimization;

namespace PromptStudio.Web.Datasets;

/// <summary>Test cases for a prompt.</summary>
public sealed class Dataset
{
    public int Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public Guid? PromptGroupId { get; set; }
    public DateTime CreatedAt { get; set; }
    public string CreatedBy { get; set; } = "";
    public List<DatasetItem> Items { get; set; } = [];
}

/// <summary>One test case: values for the prompt's variables and, usually, the expected output.</summary>
public sealed class DatasetItem
{
    public int Id { get; set; }
    public int DatasetId { get; set; }
    public string? Name { get; set; }
    public Dictionary<string, string> Input { get; set; } = [];
    public string? ExpectedOutput { get; set; }
    public List<string> Labels { get; set; } = [];
    public Dictionary<string, string> Metadata { get; set; } = [];

    public EvalItem ToEvalItem() => new(Id, Name, Input, ExpectedOutput);
}
