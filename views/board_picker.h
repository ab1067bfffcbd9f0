// BoardPicker: chooses the target board from the board library (devices/*.json and the user
// folder). A combo box whose popup is a table of every board (name, core, SRAM, flash, paging
// storage), a one-line detail of the current board under it, and a warning icon when some
// board files could not be read. It shows the profiles' numbers; it computes none.
#pragma once

#include <QString>
#include <QWidget>

#include "engine/device.h"

class QComboBox;
class QLabel;
class QStandardItemModel;
class QTreeView;

namespace tp {

class BoardPicker : public QWidget {
    Q_OBJECT

  public:
    explicit BoardPicker(QWidget* parent = nullptr);

    // Keeps a copy of `library`. The current board stays chosen when the new library still has
    // its id; otherwise nothing is chosen (the combo shows "Choose a board…"). Never emits.
    void setLibrary(const DeviceLibrary& library);
    const DeviceLibrary& library() const { return library_; }

    // Chooses the board with this id; an empty id chooses none. Returns false (and keeps the
    // current board) when the library has no such board. Never emits deviceChanged().
    bool setCurrentDevice(const QString& id);
    QString currentDeviceId() const;      // empty when no board is chosen
    const Device* currentDevice() const;  // into library(); valid until the next setLibrary
    QStringList problemMessages() const;  // the library's skipped files, one message each

  signals:
    // The user chose a different board (popup, keyboard, wheel). Programmatic setLibrary() and
    // setCurrentDevice() never emit, so a document can sync the picker without loops.
    void deviceChanged(const QString& id);

  private:
    void userActivated(int row);
    void updateDetail();

    DeviceLibrary library_;
    QString lastId_;  // the board the user last saw chosen; deviceChanged only on a change
    QStandardItemModel* model_ = nullptr;
    QComboBox* combo_ = nullptr;
    QTreeView* popup_ = nullptr;
    QLabel* detail_ = nullptr;
    QLabel* problems_ = nullptr;
};

}  // namespace tp
