using Microsoft.EntityFrameworkCore;
using PromptStudio.Web.Datasets;
using PromptStudio.Web.Prompts;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Data;

/// <summary>A fresh database gets the demo workspace, a prompt with variables and a 16-item dataset, so a first dryRun job needs no setup.</summary>
public static class DemoData
{
    public const string PromptName = "Review sentiment";
    public const string DatasetName = "Product reviews";

    public static async Task SeedAsync(IServiceProvider services, CancellationToken ct = default)
    {
        var factory = services.GetRequiredService<IDbContextFactory<StudioDbContext>>();
        await using var db = await factory.CreateDbContextAsync(ct);
        if (await db.Workspaces.AnyAsync(w => w.Id == DefaultWorkspace.Id, ct)) return;

        var now = DateTime.UtcNow;
        var limit = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Auth.AuthOptions>>().Value.DefaultIterationLimit;
        db.Workspaces.Add(new Workspace { Id = DefaultWorkspace.Id, Name = DefaultWorkspace.Name, CreatedAt = now, IterationLimit = limit });
        var prompt = Prompt.Create(DefaultWorkspace.Id, PromptName,
            "Labels a product review as positive, negative or neutral.",
            "You label customer reviews for the {{product}} team.",
            "What is the sentiment of this review of {{product}}?\n\nReview: {{review}}\n\nSentiment (positive, negative or neutral):",
            DefaultWorkspace.DemoUser, now);
        db.Prompts.Add(prompt);
        await db.SaveChangesAsync(ct);

        db.Datasets.Add(new Dataset
        {
            WorkspaceId = DefaultWorkspace.Id,
            Name = DatasetName,
            Description = "Short reviews with their sentiment label; some are sarcastic or mixed.",
            PromptGroupId = prompt.GroupId,
            CreatedAt = now,
            CreatedBy = DefaultWorkspace.DemoUser,
            Items = Reviews.Select((r, i) => new DatasetItem
            {
                Name = $"review-{i + 1:00}",
                Input = new() { ["product"] = r.Product, ["review"] = r.Text },
                ExpectedOutput = r.Label,
                Labels = [r.Label],
            }).ToList(),
        });
        await db.SaveChangesAsync(ct);
    }

    private static readonly (string Product, string Text, string Label)[] Reviews =
    [
        ("headphones", "Crisp sound and the battery lasts all week. Love them.", "positive"),
        ("headphones", "The left ear cup stopped working after two days.", "negative"),
        ("coffee maker", "It makes coffee. Nothing more, nothing less.", "neutral"),
        ("coffee maker", "Oh great, another machine that leaks all over my counter.", "negative"),
        ("running shoes", "Not bad at all, my knees finally stopped hurting.", "positive"),
        ("running shoes", "They arrived on Tuesday in a blue box.", "neutral"),
        ("desk lamp", "Bright, sturdy and cheap. What more could you want?", "positive"),
        ("desk lamp", "The light flickers and the switch feels flimsy, though the design is nice.", "negative"),
        ("backpack", "I wouldn't say it's bad, but I wouldn't buy it again either.", "neutral"),
        ("backpack", "Fits my laptop, survived a rainy hike, zips still smooth after a year.", "positive"),
        ("blender", "Wonderful, it broke the first time I tried to crush ice.", "negative"),
        ("blender", "Loud, but it turns frozen fruit into a smoothie in seconds. Worth it.", "positive"),
        ("phone case", "It is a phone case. It holds the phone.", "neutral"),
        ("phone case", "Cracked within a week and the corners never protected anything.", "negative"),
        ("e-reader", "Never thought I'd read this much again. The screen is easy on the eyes.", "positive"),
        ("e-reader", "The store is clunky, the device is fine, the battery is average.", "neutral"),
    ];
}
