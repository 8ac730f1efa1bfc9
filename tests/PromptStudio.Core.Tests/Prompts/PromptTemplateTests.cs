using PromptStudio.Core.Prompts;

namespace PromptStudio.Core.Tests.Prompts;

public sealed class PromptTemplateTests
{
    private static Dictionary<string, string> Values(params (string Name, string Value)[] pairs) =>
        pairs.ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);

    [Theory]
    [InlineData("Classify {{review}}.", new[] { "review" })]
    [InlineData("{{ review }} and {{\treview\n}}", new[] { "review" })]
    [InlineData("{{b}} {{a}} {{b}} {{c_1}} {{a}}", new[] { "b", "a", "c_1" })]
    [InlineData("{{Name}} {{name}}", new[] { "Name", "name" })]
    [InlineData("{{first-name}} {{}} {{ two words }} {single} {{{x}}}", new[] { "x" })]
    [InlineData("No placeholders here.", new string[0])]
    [InlineData("", new string[0])]
    public void ExtractVariables_FindsDistinctNames_InOrderOfFirstAppearance(string template, string[] expected) =>
        Assert.Equal(expected, PromptTemplate.ExtractVariables(template));

    [Fact]
    public void ExtractVariables_ReadsTheSystemPromptBeforeTheTemplate_AndSkipsNulls()
    {
        Assert.Equal(["tone", "review"], PromptTemplate.ExtractVariables("Be {{tone}}.", null, "{{review}} {{ tone }}"));
        Assert.Equal(["tone", "review"], new PromptText("Be {{tone}}.", "{{review}} {{tone}}").Variables);
    }

    [Theory]
    [InlineData("Review: {{review}}", "Review: Great phone")]
    [InlineData("Review: {{  review  }}!", "Review: Great phone!")]
    [InlineData("{{review}} / {{ review }} / {{lang}}", "Great phone / Great phone / en")]
    [InlineData("Nothing to fill.", "Nothing to fill.")]
    public void Render_ReplacesEveryPlaceholder_WhateverTheWhitespace(string template, string expected) =>
        Assert.Equal(expected, PromptTemplate.Render(template, Values(("review", "Great phone"), ("lang", "en"), ("unused", "x"))));

    [Fact]
    public void Render_InsertsValuesVerbatim_WithoutExpandingPlaceholdersInsideThem() =>
        Assert.Equal(
            "Say {{lang}} and $1",
            PromptTemplate.Render("Say {{review}}", Values(("review", "{{lang}} and $1"), ("lang", "en"))));

    [Theory]
    [InlineData("Review: {{review}} in {{lang}}", new[] { "lang" }, "review")]
    [InlineData("Review: {{ lang }}", new[] { "review" }, "lang")]
    [InlineData("{{review}} {{Lang}}", new[] { "review", "lang" }, "Lang")]
    [InlineData("{{a}} {{b}} {{c}}", new[] { "a" }, "b")]
    public void Render_ThrowsMissingVariable_NamingTheFirstVariableWithoutAValue(string template, string[] given, string missing)
    {
        var values = given.ToDictionary(name => name, _ => "value", StringComparer.Ordinal);

        var error = Assert.Throws<MissingVariableException>(() => PromptTemplate.Render(template, values));

        Assert.Equal(missing, error.Variable);
        Assert.Contains($"'{{{{{missing}}}}}'", error.Message);
        Assert.Contains($"'{missing}'", error.Message);
    }

    [Fact]
    public void CompareVariables_ReportsDroppedAndInventedNames()
    {
        var (dropped, invented) = PromptTemplate.CompareVariables(["review", "lang"], ["lang", "tone"]);

        Assert.Equal(["review"], dropped);
        Assert.Equal(["tone"], invented);
    }

    [Fact]
    public void CompareVariables_ReportsNothing_WhenTheSetsMatchInAnyOrder()
    {
        var (dropped, invented) = PromptTemplate.CompareVariables(["review", "lang"], ["lang", "review"]);

        Assert.Empty(dropped);
        Assert.Empty(invented);
    }

    [Theory]
    [InlineData(null, "{{review}}", "{{review}}")]
    [InlineData("", "{{review}}", "{{review}}")]
    [InlineData("Be brief.", "{{review}}", "[system]\nBe brief.\n[user]\n{{review}}")]
    public void PromptText_ShowsTheSystemPrompt_OnlyWhenThereIsOne(string? system, string template, string expected) =>
        Assert.Equal(expected, new PromptText(system, template).ToString());
}
