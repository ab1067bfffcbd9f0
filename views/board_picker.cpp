#include "views/board_picker.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QScrollBar>
#include <QStandardItemModel>
#include <QStyle>
#include <QStyledItemDelegate>
#include <QTreeView>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "views/number_format.h"

namespace tp {
namespace {

enum Column { kName, kCore, kSram, kFlash, kStorage, kColumnCount };
constexpr int kIdRole = Qt::UserRole + 1;

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

// What datasheets call the storage; the file format's ids ("sd", "qspi-flash") are for files.
QString storageKindText(StorageKind kind) {
    switch (kind) {
        case StorageKind::internal_flash:
            return BoardPicker::tr("internal flash");
        case StorageKind::qspi_flash:
            return BoardPicker::tr("QSPI flash");
        case StorageKind::sd:
            return BoardPicker::tr("SD card");
        case StorageKind::emmc:
            return BoardPicker::tr("eMMC");
        case StorageKind::nvme:
            return BoardPicker::tr("NVMe");
    }
    return qs(storage_kind_name(kind));
}

QString clockText(int64_t hz) {
    QLocale locale;
    if (hz >= 1'000'000'000)
        return locale.toString(static_cast<double>(hz) / 1e9, 'f', 2) + QStringLiteral(" GHz");
    return locale.toString(static_cast<double>(hz) / 1e6, 'f', 0) + QStringLiteral(" MHz");
}

// Decimal megabytes per second with three significant digits, as the CLI prints them
// (storage datasheets quote MB/s): 1,536, 45.5, 0.0994.
QString bandwidthText(double bytes_per_s) {
    const double mb = bytes_per_s / 1e6;
    const int decimals = mb > 0 ? 2 - static_cast<int>(std::floor(std::log10(mb))) : 0;
    return QLocale().toString(mb, 'f', std::clamp(decimals, 0, 4)) + QStringLiteral(" MB/s");
}

QString storageColumnText(const Device& d) {
    if (!d.storage || d.storage->capacity_bytes == 0) return BoardPicker::tr("none");
    return QStringLiteral("%1 %2").arg(storageKindText(d.storage->kind),
                                       formatBytes(d.storage->capacity_bytes));
}

QString detailText(const Device& d) {
    const QString sep = QStringLiteral(" · ");
    QString text =
        qs(d.core) + sep + clockText(d.clock_hz) + sep +
        BoardPicker::tr("SRAM %1").arg(formatBytes(d.sram_bytes)) + sep +
        (d.flash_bytes > 0 ? BoardPicker::tr("flash %1").arg(formatBytes(d.flash_bytes)) + sep
                           : QString());
    if (!d.storage || d.storage->capacity_bytes == 0)
        return text + BoardPicker::tr("no paging storage");
    return text + BoardPicker::tr("%1: read %2, write %3")
                      .arg(storageKindText(d.storage->kind),
                           bandwidthText(d.storage->read_bytes_per_s),
                           bandwidthText(d.storage->write_bytes_per_s));
}

// Boards without internal flash (application processors boot from SD or eMMC) show a dash.
QString flashText(int64_t bytes) {
    return bytes > 0 ? formatBytes(bytes) : QStringLiteral("—");
}

// Table rows with room to breathe: the popup is read, not just clicked.
class RoomyDelegate : public QStyledItemDelegate {
  public:
    using QStyledItemDelegate::QStyledItemDelegate;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override {
        return QStyledItemDelegate::sizeHint(option, index) + QSize(16, 6);
    }
};

QList<QStandardItem*> boardRow(const Device& d) {
    QList<QStandardItem*> row;
    auto add = [&](const QString& text, Qt::Alignment align = Qt::AlignLeft | Qt::AlignVCenter) {
        auto* item = new QStandardItem(text);
        item->setEditable(false);
        item->setTextAlignment(align);
        item->setData(qs(d.id), kIdRole);
        row << item;
    };
    const Qt::Alignment number = Qt::AlignRight | Qt::AlignVCenter;
    add(qs(d.name));
    add(qs(d.core));
    add(formatBytes(d.sram_bytes), number);
    add(flashText(d.flash_bytes), number);
    add(storageColumnText(d));
    QString tip = QStringLiteral("<b>%1</b> <span style='color:gray'>%2</span><br>%3")
                      .arg(qs(d.name).toHtmlEscaped(), qs(d.id).toHtmlEscaped(),
                           detailText(d).toHtmlEscaped());
    if (!d.notes.empty()) tip += QStringLiteral("<br><i>%1</i>").arg(qs(d.notes).toHtmlEscaped());
    if (!d.file.empty())
        tip += QStringLiteral("<br><span style='color:gray'>%1</span>")
                   .arg(qs(d.file).toHtmlEscaped());
    for (auto* item : row) item->setToolTip(tip);
    return row;
}

}  // namespace

BoardPicker::BoardPicker(QWidget* parent) : QWidget(parent) {
    model_ = new QStandardItemModel(0, kColumnCount, this);
    model_->setHorizontalHeaderLabels(
        {tr("Board"), tr("Core"), tr("SRAM"), tr("Flash"), tr("Paging storage")});
    for (int c : {kSram, kFlash})
        model_->horizontalHeaderItem(c)->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);

    combo_ = new QComboBox(this);
    combo_->setObjectName(QStringLiteral("boardCombo"));
    combo_->setModel(model_);
    popup_ = new QTreeView;
    popup_->setObjectName(QStringLiteral("boardTable"));
    popup_->setRootIsDecorated(false);
    popup_->setItemsExpandable(false);
    popup_->setUniformRowHeights(true);
    popup_->setAllColumnsShowFocus(true);
    popup_->setSelectionBehavior(QAbstractItemView::SelectRows);
    popup_->setAlternatingRowColors(true);
    popup_->header()->setStretchLastSection(true);
    popup_->header()->setSectionsMovable(false);
    popup_->setItemDelegate(new RoomyDelegate(popup_));
    combo_->setView(popup_);  // takes ownership
    combo_->setModelColumn(kName);
    combo_->setPlaceholderText(tr("Choose a board…"));
    combo_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    combo_->setMinimumContentsLength(22);
    combo_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    combo_->setToolTip(tr("The board the plan is solved for"));
    // activated() fires for user choices only (popup, keys, wheel), never for setCurrentIndex.
    connect(combo_, &QComboBox::activated, this, &BoardPicker::userActivated);

    problems_ = new QLabel(this);
    problems_->setObjectName(QStringLiteral("boardProblems"));
    const int iconSize = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this);
    problems_->setPixmap(
        style()->standardIcon(QStyle::SP_MessageBoxWarning).pixmap(iconSize, iconSize));
    problems_->hide();

    detail_ = new QLabel(this);
    detail_->setObjectName(QStringLiteral("boardDetail"));
    detail_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    detail_->setForegroundRole(QPalette::PlaceholderText);
    detail_->setWordWrap(true);

    auto* top = new QHBoxLayout;
    top->setContentsMargins(0, 0, 0, 0);
    top->addWidget(combo_, 1);
    top->addWidget(problems_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(3);
    layout->addLayout(top);
    layout->addWidget(detail_);
    updateDetail();
}

void BoardPicker::setLibrary(const DeviceLibrary& library) {
    const QString keep = currentDeviceId();
    library_ = library;
    {
        QSignalBlocker block(combo_);
        model_->removeRows(0, model_->rowCount());
        for (const Device& d : library_.devices) model_->appendRow(boardRow(d));
        combo_->setCurrentIndex(-1);
    }
    for (int c = 0; c < kColumnCount; ++c) popup_->resizeColumnToContents(c);
    int width = 2 * popup_->frameWidth() + popup_->verticalScrollBar()->sizeHint().width();
    for (int c = 0; c < kColumnCount; ++c) width += popup_->columnWidth(c);
    popup_->setMinimumWidth(width);

    QStringList tips;
    for (const Error& e : library_.problems) tips << qs(e.message).toHtmlEscaped();
    problems_->setVisible(!tips.isEmpty());
    problems_->setToolTip(
        tips.isEmpty() ? QString()
                       : tr("<b>Some board files were skipped</b><br>%1").arg(tips.join("<br>")));
    lastId_.clear();
    if (!setCurrentDevice(keep)) updateDetail();  // the board is gone: nothing stays chosen
}

bool BoardPicker::setCurrentDevice(const QString& id) {
    int row = -1;
    if (!id.isEmpty()) {
        for (int r = 0; r < model_->rowCount() && row < 0; ++r)
            if (model_->item(r, kName)->data(kIdRole).toString() == id) row = r;
        if (row < 0) return false;
    }
    {
        QSignalBlocker block(combo_);
        combo_->setCurrentIndex(row);
    }
    lastId_ = currentDeviceId();
    updateDetail();
    return true;
}

QString BoardPicker::currentDeviceId() const {
    const int row = combo_->currentIndex();
    if (row < 0) return {};
    return model_->item(row, kName)->data(kIdRole).toString();
}

const Device* BoardPicker::currentDevice() const {
    const QString id = currentDeviceId();
    return id.isEmpty() ? nullptr : library_.find(id.toStdString());
}

QStringList BoardPicker::problemMessages() const {
    QStringList out;
    for (const Error& e : library_.problems) out << qs(e.message);
    return out;
}

void BoardPicker::userActivated(int) {
    updateDetail();
    const QString id = currentDeviceId();
    if (id == lastId_) return;
    lastId_ = id;
    emit deviceChanged(id);
}

void BoardPicker::updateDetail() {
    const Device* d = currentDevice();
    if (!d) {
        detail_->setText(library_.devices.empty() ? tr("No board profiles found")
                                                  : tr("No board chosen"));
        combo_->setToolTip(tr("The board the plan is solved for"));
        return;
    }
    detail_->setText(detailText(*d));
    combo_->setToolTip(model_->item(combo_->currentIndex(), kName)->toolTip());
}

}  // namespace tp
