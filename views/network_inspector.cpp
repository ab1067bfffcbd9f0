#include "views/network_inspector.h"

#include <QGroupBox>
#include <QLabel>
#include <QScrollArea>
#include <QVBoxLayout>

#include "views/number_format.h"

namespace tp {
namespace {

QString html(const std::string& s) {
    return QString::fromStdString(s).toHtmlEscaped();
}

QString tensorLine(const Network& net, const std::string& name) {
    const TensorInfo* t = net.tensor(name);
    return QStringLiteral("%1 <span style='color:gray'>%2</span>")
        .arg(html(name), t ? html(shape_to_string(t->shape)) : QStringLiteral("?"));
}

QString attrText(const AttrValue& value) {
    auto list = [](const auto& xs) {
        QStringList parts;
        for (const auto& x : xs) parts << QString::number(x);
        return QStringLiteral("[%1]").arg(parts.join(QStringLiteral(", ")));
    };
    if (auto* i = std::get_if<int64_t>(&value)) return QString::number(*i);
    if (auto* d = std::get_if<double>(&value)) return QString::number(*d);
    if (auto* is = std::get_if<std::vector<int64_t>>(&value)) return list(*is);
    if (auto* ds = std::get_if<std::vector<double>>(&value)) return list(*ds);
    return QString::fromStdString(std::get<std::string>(value));
}

// Rows of (label, value) as a two-column rich-text table; values are already HTML.
QString table(const QList<QPair<QString, QString>>& rows) {
    QString out = QStringLiteral("<table cellspacing='0' cellpadding='2'>");
    for (const auto& [label, value] : rows)
        out += QStringLiteral(
                   "<tr><td style='color:gray; padding-right:10px' "
                   "valign='top'>%1</td><td>%2</td></tr>")
                   .arg(label, value);
    return out + QStringLiteral("</table>");
}

QLabel* makeLabel(const QString& objectName, QWidget* parent) {
    auto* label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setTextFormat(Qt::RichText);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setWordWrap(true);
    label->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    return label;
}

}  // namespace

NetworkInspector::NetworkInspector(QWidget* parent) : QWidget(parent) {
    auto* content = new QWidget;
    auto* column = new QVBoxLayout(content);
    auto* networkBox = new QGroupBox(tr("Network"), content);
    summary_ = makeLabel(QStringLiteral("networkSummary"), networkBox);
    (new QVBoxLayout(networkBox))->addWidget(summary_);
    auto* layerBox = new QGroupBox(tr("Selected layer"), content);
    layerDetails_ = makeLabel(QStringLiteral("layerDetails"), layerBox);
    (new QVBoxLayout(layerBox))->addWidget(layerDetails_);
    column->addWidget(networkBox);
    column->addWidget(layerBox);
    column->addStretch(1);

    auto* scroll = new QScrollArea(this);
    scroll->setWidget(content);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(scroll);
    setNetwork(nullptr, {});
}

void NetworkInspector::setNetwork(std::shared_ptr<const Network> network, const QString& source) {
    network_ = std::move(network);
    showSummary(source);
    setCurrentOp(-1);
}

void NetworkInspector::showSummary(const QString& source) {
    if (!network_) {
        summary_->setText(
            tr("<i>No network open.</i> Use File ▸ Open… or drop a .onnx file here."));
        return;
    }
    const Network& net = *network_;
    QStringList inputs, outputs;
    for (const auto& name : net.inputs) inputs << tensorLine(net, name);
    for (const auto& name : net.outputs) outputs << tensorLine(net, name);
    summary_->setText(table({
        {tr("Name"), html(net.name)},
        {tr("Source"), source.toHtmlEscaped()},
        {tr("Inputs"), inputs.join(QStringLiteral("<br>"))},
        {tr("Outputs"), outputs.join(QStringLiteral("<br>"))},
        {tr("Layers"), formatCount(static_cast<qint64>(net.ops.size()))},
        {tr("Blocks"), formatCount(static_cast<qint64>(net.block_names().size()))},
        {tr("Trainable params"), formatCount(net.trainable_param_count())},
        {tr("Param storage"), formatBytes(net.param_bytes())},
        {tr("Forward MACs"), formatCount(net.total_macs())},
        {tr("Weights"), net.has_weights() ? tr("included") : tr("architecture only")},
    }));
}

void NetworkInspector::setCurrentOp(int opIndex) {
    if (!network_ || opIndex < 0 || opIndex >= static_cast<int>(network_->ops.size())) {
        layerDetails_->setText(tr("<i>Select a layer in the table.</i>"));
        return;
    }
    const Network& net = *network_;
    const Op& op = net.ops[static_cast<size_t>(opIndex)];
    QStringList inputs, outputs, params, attrs;
    for (const auto& name : op.inputs) inputs << tensorLine(net, name);
    for (const auto& name : op.outputs) outputs << tensorLine(net, name);
    for (const auto& name : op.params) {
        const Parameter* p = net.param(name);
        QString line =
            QStringLiteral("%1 <span style='color:gray'>%2</span>")
                .arg(html(name), p ? html(shape_to_string(p->shape)) : QStringLiteral("?"));
        if (p && !p->trainable) line += tr(" (buffer)");
        params << line;
    }
    for (const auto& [key, value] : op.attrs.values)
        attrs << QStringLiteral("%1 = %2").arg(html(key), attrText(value).toHtmlEscaped());
    const QString none = QStringLiteral("—");
    layerDetails_->setText(table({
        {tr("Name"), html(op.name)},
        {tr("Op"), QString::fromLatin1(op_type_name(op.type))},
        {tr("Block"), op.block.empty() ? none : html(op.block)},
        {tr("Inputs"), inputs.isEmpty() ? none : inputs.join(QStringLiteral("<br>"))},
        {tr("Outputs"), outputs.join(QStringLiteral("<br>"))},
        {tr("Parameters"), params.isEmpty() ? none : params.join(QStringLiteral("<br>"))},
        {tr("Attributes"), attrs.isEmpty() ? none : attrs.join(QStringLiteral("<br>"))},
        {tr("MACs"), formatCount(op.macs)},
    }));
}

}  // namespace tp
