using PromptStudio.Core.Prompts;

namespace PromptStudio.Web.Prompts;

/// <summary>One version of a prompt. Versions of one prompt share <see cref="GroupId"/>; exactly one is latest.</summary>
public sealed class Prompt
{
    public int Id { get; private set; }
    public Guid WorkspaceId { get; private set; }
    public Guid GroupId { get; private set; }
    public string Name { get; private set; } = "";
    public string? Description { get; private set; }
    public int Version { get; private set; }
    public bool IsLatest { get; private set; }
    public string? SystemPrompt { get; private set; }
    public string Template { get; private set; } = "";
    public List<string> Variables { get; private set; } = [];
    public Guid? SourceJobId { get; private set; }
    public DateTime CreatedAt { get; private set; }
    public string CreatedBy { get; private set; } = "";

    private Prompt()
    {
    }

    public static Prompt Create(Guid workspaceId, string name, string? description, string? systemPrompt, string template, string createdBy, DateTime now) => new()
    {
        WorkspaceId = workspaceId,
        GroupId = Guid.NewGuid(),
        Name = name,
        Description = description,
        Version = 1,
        IsLatest = true,
        SystemPrompt = systemPrompt,
        Template = template,
        Variables = [.. PromptTemplate.ExtractVariables(systemPrompt, template)],
        CreatedAt = now,
        CreatedBy = createdBy,
    };

    /// <summary>The next version; this one stops being the latest.</summary>
    public Prompt NextVersion(int version, string? name, string? description, string? systemPrompt, string template, string createdBy, DateTime now, Guid? sourceJobId = null)
    {
        IsLatest = false;
        return new Prompt
        {
            WorkspaceId = WorkspaceId,
            GroupId = GroupId,
            Name = name ?? Name,
            Description = description ?? Description,
            Version = version,
            IsLatest = true,
            SystemPrompt = systemPrompt,
            Template = template,
            Variables = [.. PromptTemplate.ExtractVariables(systemPrompt, template)],
            SourceJobId = sourceJobId,
            CreatedAt = now,
            CreatedBy = createdBy,
        };
    }

    public PromptText Text => new(SystemPrompt, Template);
}
